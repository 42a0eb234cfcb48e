#!/usr/bin/env bash
# Sets up, builds, and runs Slime's main job on the bundled example mesh.
#   scripts/demo.sh            `slime run` on a manifest directory seeded from examples/ (Ctrl-C stops it):
#                              generated objects appear in build/demo/generated/, edits are picked up live
#   scripts/demo.sh render     print the generated objects once (`slime render -f examples/`)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake -S . -B build -G Ninja -DSLIME_TESTS=OFF -DSLIME_BENCH=OFF >/dev/null
ninja -C build slime

if [ "${1:-}" = render ]; then
  shift
  exec build/bin/slime render -f examples/lazyload -f examples/limiter -f examples/plugin --config examples/slime.cfg "$@"
fi

demo=build/demo
mkdir -p "$demo"
for m in lazyload limiter plugin; do
  mkdir -p "$demo/$m"
  cp -n examples/$m/*.yaml "$demo/$m/" 2>/dev/null || true
done
echo "demo: manifest directory $demo (edit files there); generated objects in $demo/generated/"
echo "demo: admin endpoints on http://127.0.0.1:8081 (/readyz, /metrics, /debug/config)"
exec build/bin/slime run --state-dir "$demo" --config examples/slime.cfg --admin-addr 127.0.0.1:8081 "$@"
