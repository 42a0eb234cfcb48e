#!/usr/bin/env bash
# Builds a real Istio control plane (pilot-discovery, the istiod binary) from the Go module proxy into
# tools/istiod/bin/, and the xDS test proxy tools/xds-probe next to it. Both are test infrastructure:
# cached, never committed. Idempotent: if the binaries are newer than their inputs nothing is done;
# with a warm GOCACHE/GOMODCACHE a rebuild takes seconds. Cold: ≈ 9 min on 2 cores (≈ 2 GB peak).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
probe_dir="$(cd "$here/../xds-probe" && pwd)"
cd "$here"
export PATH="/usr/local/go/bin:$PATH"
export CGO_ENABLED=0
# shellcheck source=versions.env
source ./versions.env
mkdir -p bin

newer_than() {  # newer_than FILE INPUT...: FILE exists and is newer than every INPUT
  local f=$1 src; shift
  [[ -s "$f" ]] || return 1
  for src in "$@"; do [[ "$f" -nt "$src" ]] || return 1; done
}
force=0; [[ "${1:-}" == "--force" ]] && force=1

if (( force )) || ! newer_than bin/pilot-discovery go.mod go.sum versions.env build.sh; then
  echo "istiod: building pilot-discovery ${ISTIO_BUILD_VERSION} (${ISTIO_VERSION})"
  # Istio's own build: CGO off, -trimpath, its standard tags (gobuild.sh, Makefile.core.mk).
  # nice: minutes of compiling must not starve the C++ builds next to it. -pgo=off keeps it cacheable.
  nice -n 10 go build -mod=mod -pgo=off -trimpath -tags="${ISTIO_BUILD_TAGS}" \
    -ldflags "-s -w -X istio.io/istio/pkg/version.buildVersion=${ISTIO_BUILD_VERSION}" \
    -o bin/pilot-discovery.tmp istio.io/istio/pilot/cmd/pilot-discovery
  mv bin/pilot-discovery.tmp bin/pilot-discovery
else
  echo "istiod: pilot-discovery up to date in $here/bin"
fi

# The probe's go.mod pins the dependency versions of the same istio.io/istio, so its packages come
# out of the build cache istiod just filled (≈ seconds).
probe_inputs=("$probe_dir"/go.mod "$probe_dir"/go.sum "$probe_dir"/*.go build.sh)
if (( force )) || ! newer_than bin/xds-probe "${probe_inputs[@]}"; then
  echo "istiod: building xds-probe"
  (cd "$probe_dir" && nice -n 10 go build -mod=mod -trimpath -ldflags "-s -w" -o "$here/bin/xds-probe.tmp" .)
  mv bin/xds-probe.tmp bin/xds-probe
else
  echo "istiod: xds-probe up to date in $here/bin"
fi
echo "istiod: done: $(ls bin)"
