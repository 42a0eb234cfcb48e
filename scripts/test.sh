#!/usr/bin/env bash
# Sets up, builds and runs every test: the README's test command and what .ci/run executes.
#   1. system packages (scripts/setup.sh) and the real test servers (tools/*/build.sh)
#   2. release build with -Werror, then every CTest label (unit, golden, integration, envtest, e2e, mesh)
#   3. ASan+UBSan build, unit and golden tests under it
#   4. libFuzzer targets, each for a bounded time on its seed corpus
# FUZZ_SECONDS (default 20) bounds each fuzz target; SKIP_SANITIZERS=1 / SKIP_FUZZ=1 skip steps 3 / 4.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
# The Go-built test servers (kube-apiserver, etcd, istiod, xds-probe, helm: minutes cold, seconds warm)
# build in the background next to the C++ build; the tests wait for them.
tools_log=$(mktemp)
(
  for build_script in tools/*/build.sh; do
    if [ -x "$build_script" ]; then "$build_script" || exit 1; fi
  done
) >"$tools_log" 2>&1 &
tools_pid=$!

jobs=$(nproc)
passed=0
# Runs ctest in a build folder, adds its test count to $passed (ctest fails the script on any failure).
run_ctest() {
  local dir=$1; shift
  local log
  log=$(mktemp)
  # --no-tests=error: a label that selects nothing (a build configured without tests) is a failure.
  (cd "$dir" && ctest --output-on-failure --no-tests=error -j "$jobs" "$@") | tee "$log"
  local n
  n=$(grep -Eo 'tests passed, 0 tests failed out of [0-9]+' "$log" | grep -Eo '[0-9]+$' || echo 0)
  passed=$((passed + n))
  rm -f "$log"
}
export CCACHE_BASEDIR="$PWD"
# CI clones into a new folder each run: leave the build directory out of ccache's hash so that the
# objects of an earlier checkout are reused (debug info then names that checkout's build folder).
export CCACHE_NOHASHDIR=1

echo "== build (release, -Werror)"
# Every option the tests rely on, explicitly: build/ may have been configured by scripts/demo.sh
# (SLIME_TESTS=OFF) or by hand.
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSLIME_WERROR=ON -DSLIME_TESTS=ON -DSLIME_BENCH=ON \
  -DSLIME_SANITIZE=OFF -DSLIME_FUZZ=OFF >/dev/null
ninja -C build
echo "== test servers (tools/*/build.sh)"
if ! wait "$tools_pid"; then
  cat "$tools_log"
  echo "building the test servers failed"
  exit 1
fi
cat "$tools_log"
rm -f "$tools_log"
echo "== tests"
# One run per label, so that a label with no tests fails (--no-tests=error) instead of hiding in the others.
for label in unit golden integration e2e; do
  run_ctest build -L "^${label}\$"
done
# Real apiserver+etcd per program, and timing-sensitive failover checks: one at a time. Except
# envtest_modules (every metric-free golden case through `slime run`, ≈ 12 minutes spent mostly waiting
# for the apiserver and Slime to settle): it has its own apiserver on free ports, so it runs beside the
# other envtest and the mesh programs, and its result is collected after them.
modules_log=$(mktemp)
(cd build && ctest --output-on-failure --no-tests=error -R '^envtest_modules$') >"$modules_log" 2>&1 &
modules_pid=$!
trap 'kill "$modules_pid" 2>/dev/null || true' EXIT
echo "== envtest (real kube-apiserver + etcd; envtest_modules beside them)"
jobs=1 run_ctest build -L '^envtest$' -E '^envtest_modules$'
# A real istiod reading what `slime run` writes, xds-probe proxies as workloads: one program at a time.
echo "== mesh (real istiod + apiserver)"
jobs=1 run_ctest build -L '^mesh$'
echo "== envtest_modules (ran beside envtest and mesh)"
modules_rc=0
wait "$modules_pid" || modules_rc=$?
trap - EXIT
cat "$modules_log"
n=$(grep -Eo 'tests passed, 0 tests failed out of [0-9]+' "$modules_log" | grep -Eo '[0-9]+$' || echo 0)
passed=$((passed + n))
rm -f "$modules_log"
if [ "$modules_rc" != 0 ]; then
  echo "envtest_modules failed"
  exit 1
fi

if [ "${SKIP_SANITIZERS:-0}" != 1 ]; then
  echo "== build (ASan+UBSan)"
  cmake -S . -B build-asan -G Ninja -DSLIME_SANITIZE=ON -DSLIME_WERROR=OFF -DSLIME_TESTS=ON -DSLIME_BENCH=OFF -DSLIME_FUZZ=OFF -DCMAKE_BUILD_TYPE=Debug \
    -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" >/dev/null
  # -Werror gates the release build; -O1 under sanitizers trips different (false-positive) warnings.
  # Only what runs under the sanitizers: the unit test binaries and the golden runner.
  asan_targets=$(ninja -C build-asan -t targets all | grep -Eo '^(unit_[A-Za-z0-9_]+|golden_runner):' | tr -d ':' | sort -u)
  ninja -C build-asan $asan_targets
  echo "== unit and golden tests under ASan+UBSan"
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 run_ctest build-asan -L 'unit|golden'
fi

if [ "${SKIP_FUZZ:-0}" != 1 ]; then
  echo "== fuzz targets (${FUZZ_SECONDS:-20}s each)"
  CXX=clang++-19 cmake -S . -B build-fuzz -G Ninja -DSLIME_FUZZ=ON -DSLIME_WERROR=OFF >/dev/null
  ninja -C build-fuzz
  for fuzzer in build-fuzz/bin/fuzz_*; do
    name=$(basename "$fuzzer" | sed 's/^fuzz_//')
    work=$(mktemp -d)
    # A scratch corpus: new inputs found in CI are not written into the checkout.
    "$fuzzer" -max_total_time="${FUZZ_SECONDS:-20}" -seed=1 -max_len=4096 -artifact_prefix="$work/" \
      -print_final_stats=0 "$work" "fuzz/corpus/$name" 2>"$work/log" || {
      tail -n 40 "$work/log"
      echo "fuzz target $name failed; reproducer in $work"
      exit 1
    }
    grep -E '^Done' "$work/log" | sed "s/^/fuzz $name: /"
    rm -rf "$work"
    passed=$((passed + 1))
  done
fi
echo "== all tests passed (ctest runs under both builds, plus one per fuzz target)"
echo "tests: $passed passed, 0 failed"
