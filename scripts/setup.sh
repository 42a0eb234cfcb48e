#!/usr/bin/env bash
# Installs every system package Slime needs to build and test. Idempotent; run as root on Debian 12.
# Usage: scripts/setup.sh               build + test dependencies
#        scripts/setup.sh --build-only  what building `slime` needs (the image's build stage)
set -euo pipefail

packages=(
  # toolchain
  g++ cmake ninja-build ccache pkg-config git ca-certificates
  # libraries (see ARCHITECTURE.md "Dependencies")
  libyaml-cpp-dev nlohmann-json3-dev libboost1.74-dev libcurl4-openssl-dev libssl-dev
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  # HPACK for the proxy's h2c routing (reads the first request's headers; the stream is then relayed)
  libnghttp2-dev
  libre2-dev libspdlog-dev libfmt-dev libcli11-dev
)
if [ "${1:-}" != "--build-only" ]; then
  packages+=(
    # tests and benchmarks
    libgtest-dev libgmock-dev libbenchmark-dev
    # fuzzing: libFuzzer ships with clang (19: the first Debian clang whose concepts support libstdc++ 12's <expected>)
    clang-19 libclang-rt-19-dev
    # real servers and load tools used by integration tests and benchmarks
    prometheus wrk curl
    # the /ui browser test (test/e2e/ui): a real headless browser, driven over the DevTools protocol
    chromium
  )
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "setup: system packages present"
fi

# The Debian prometheus package starts a system service on install; tests start their own instance
# on a loopback port, so the packaged one is only stopped when it is running.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet prometheus 2>/dev/null; then
  systemctl stop prometheus || true
fi

# kubectl: the boot envtests apply deploy/ with it (`kubectl apply -k`, `auth can-i`, `create token`) and
# fail without it. Debian 12 has no kubectl package; the Kubernetes or Google Cloud apt repository does.
if [ "${1:-}" != "--build-only" ] && ! command -v kubectl >/dev/null 2>&1; then
  if apt-cache show kubectl >/dev/null 2>&1; then
    echo "setup: installing kubectl"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends kubectl >/dev/null
  else
    echo "setup: kubectl is required by the envtests; add the Kubernetes apt repository" \
         "(https://pkgs.k8s.io/core:/stable:/v1.30/deb/) and run scripts/setup.sh again" >&2
    exit 1
  fi
fi
