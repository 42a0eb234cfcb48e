#!/usr/bin/env bash
# Usage: stop.sh DIR [etcd|apiserver|apiserver2]
# Stops what start.sh started in DIR (both by default): SIGTERM, then SIGKILL after a grace period.
# Only the recorded pids are signalled. Leaves DIR in place so start.sh can reuse it.
set -uo pipefail
dir="${1:?usage: stop.sh DIR [etcd|apiserver]}"
only="${2:-all}"
stop_one() {
  local f="$dir/$1.pid" pid
  [[ -f "$f" ]] || return 0
  pid="$(cat "$f")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  fi
  rm -f "$f"
}
# The apiserver first: it would otherwise spend its shutdown retrying a vanished etcd.
[[ "$only" == all || "$only" == apiserver ]] && stop_one kube-apiserver
[[ "$only" == all || "$only" == apiserver2 ]] && stop_one kube-apiserver2
[[ "$only" == all || "$only" == etcd ]] && stop_one etcd
exit 0
