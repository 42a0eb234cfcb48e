#!/usr/bin/env bash
# Sets up, builds, and runs Slime's main job on the bundled example mesh.
#   scripts/demo.sh            `slime run` on a manifest directory seeded from examples/ (Ctrl-C stops it):
#                              generated objects appear in build/demo/generated/, edits are picked up live
#   scripts/demo.sh render     print the generated objects once (`slime render -f examples/`)
#   scripts/demo.sh learn      the learning loop on loopback (examples/proxy): `slime run --ui`, `slime proxy`
#                              and a stand-in "details" server; open the printed URL, send the printed curl,
#                              and watch the new dependency appear in the page
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake -S . -B build -G Ninja -DSLIME_TESTS=OFF -DSLIME_BENCH=OFF >/dev/null
ninja -C build slime

if [ "${1:-}" = render ]; then
  shift
  exec build/bin/slime render -f examples/lazyload -f examples/limiter -f examples/plugin --config examples/slime.cfg "$@"
fi

if [ "${1:-}" = learn ]; then
  shift
  demo=build/demo-learn
  rm -rf "$demo" && mkdir -p "$demo" && cp examples/proxy/mesh.yaml "$demo/"
  pids=()
  trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
  python3 -m http.server 8000 --bind 127.0.0.1 >"$demo/details.log" 2>&1 &  # "details" (its Endpoints: 127.0.0.1:8000)
  pids+=($!)
  build/bin/slime run --state-dir "$demo" --config examples/proxy/lazyload.cfg --admin-addr 127.0.0.1:8081 --ui "$@" &
  pids+=($!)
  build/bin/slime proxy --listen 127.0.0.1:8080 --state-dir "$demo" --report 127.0.0.1:8082 --wormhole-configmap off &
  pids+=($!)
  echo "demo: open http://127.0.0.1:8081/ui, then teach productpage (pod IP 127.0.0.2) a dependency:"
  echo "  curl --interface 127.0.0.2 -H 'Host: details:9080' -H 'Slime-Source-Ns: default' http://127.0.0.1:8080/"
  wait
  exit 0
fi

demo=build/demo
mkdir -p "$demo"
for m in lazyload limiter plugin; do
  mkdir -p "$demo/$m"
  cp -n examples/$m/*.yaml "$demo/$m/" 2>/dev/null || true
done
echo "demo: manifest directory $demo (edit files there); generated objects in $demo/generated/"
echo "demo: admin endpoints on http://127.0.0.1:8081 (/readyz, /metrics, /debug/config)"
echo "demo: the mesh as Slime sees it: http://127.0.0.1:8081/ui"
exec build/bin/slime run --state-dir "$demo" --config examples/slime.cfg --admin-addr 127.0.0.1:8081 --ui "$@"
