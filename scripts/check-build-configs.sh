#!/usr/bin/env bash
# Checks the build configurations a newcomer uses, not only the one CI uses (a CTest test runs it):
#   - a plain configure does not turn warnings into errors (-Werror belongs to CI: scripts/test.sh);
#   - a Release build (-O3) compiles under -Werror (GCC 12's -Wrestrict false positive is silenced);
#   - -DSLIME_TESTS=OFF still builds the benchmarks (their gRPC echo backend is not a test-only target);
#   - scripts/test.sh sets every option it relies on and fails a ctest run that selects no test.
# Usage: scripts/check-build-configs.sh [SCRATCH_DIR]   (configures two trees there; compiles a few files)
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
scratch=${1:-$(mktemp -d)}
mkdir -p "$scratch"
fail() { echo "check-build-configs: $*" >&2; exit 1; }
export CCACHE_BASEDIR="$src"

# 1. Defaults: no -Werror.
cmake -S "$src" -B "$scratch/default" -G Ninja -DSLIME_TESTS=OFF >/dev/null
grep -q '^SLIME_WERROR:BOOL=OFF$' "$scratch/default/CMakeCache.txt" || fail "SLIME_WERROR must default to OFF"

# 2. Release with -Werror and without tests: the core layer (where GCC 12 reported -Wrestrict) and the
#    learning benchmark's object (it needs the generated echo service headers).
rel="$scratch/release"
cmake -S "$src" -B "$rel" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSLIME_WERROR=ON -DSLIME_TESTS=OFF -DSLIME_BENCH=ON \
  >/dev/null
# The target list is read whole first: `ninja … | grep -q` under pipefail fails when grep exits early and
# ninja dies of SIGPIPE, which made this check flaky.
targets=$(ninja -C "$rel" -t targets all)
grep -q '^bench_learning:' <<<"$targets" || fail "no bench_learning target with SLIME_TESTS=OFF"
grep -q '^slime_test_echo_proto:' <<<"$targets" ||
  fail "bench_learning needs slime_test_echo_proto, which SLIME_TESTS=OFF does not define"
nice -n 5 ninja -C "$rel" -j2 slime_core bench/learning/CMakeFiles/bench_learning.dir/bench_learning.cc.o >/dev/null ||
  fail "Release build with -Werror failed (run: ninja -C $rel slime_core)"

# 3. scripts/test.sh: explicit options for build/, and no ctest call that may select nothing.
test_sh="$src/scripts/test.sh"
grep -Eq 'cmake -S \. -B build .*-DSLIME_TESTS=ON' "$test_sh" || fail "scripts/test.sh must configure build/ with -DSLIME_TESTS=ON"
while IFS= read -r line; do
  grep -q -- '--no-tests=error' <<<"$line" || fail "scripts/test.sh runs ctest without --no-tests=error: $line"
done < <(grep -E '(^|[^_[:alnum:]])ctest -' "$test_sh" | grep -v '^[[:space:]]*#')
echo "check-build-configs: ok (default without -Werror; Release -Werror; benchmarks without tests; test.sh strict)"
