#!/usr/bin/env bash
# Usage: stop.sh DIR
# Stops the istiod start.sh started in DIR: SIGTERM, then SIGKILL after a grace period. Only the
# recorded pid is signalled; DIR stays (its log is the post-mortem).
set -uo pipefail
dir="${1:?usage: stop.sh DIR}"
f="$dir/istiod.pid"
[[ -f "$f" ]] || exit 0
pid="$(cat "$f")"
if kill -0 "$pid" 2>/dev/null; then
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
fi
rm -f "$f"
exit 0
