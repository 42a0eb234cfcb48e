#!/usr/bin/env bash
# Stops the Prometheus started by tools/prometheus/start.sh WORKDIR (only that process, by its pid file).
set -euo pipefail
workdir=${1:?usage: stop.sh WORKDIR}
[[ -f "$workdir/pid" ]] || exit 0
pid=$(cat "$workdir/pid")
if kill -0 "$pid" 2>/dev/null; then
  kill "$pid"
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
fi
rm -f "$workdir/pid"
