#!/usr/bin/env bash
# Sets up, builds, and runs Slime's main job on the bundled examples: prints the Istio objects Slime
# generates for them. Extra arguments go to `slime render` (e.g. `scripts/demo.sh --all`).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake -S . -B build -G Ninja -DSLIME_TESTS=OFF -DSLIME_BENCH=OFF >/dev/null
ninja -C build slime
exec build/bin/slime render -f examples/ "$@"
