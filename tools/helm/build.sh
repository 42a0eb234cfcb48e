#!/usr/bin/env bash
# Builds the `helm` CLI from the Go module proxy into tools/helm/bin/ at the version pinned in
# versions.env. Idempotent: if bin/helm is newer than versions.env and this script, nothing is done.
# The chart tests (test/helm/) run this binary; nothing prebuilt is downloaded, nothing is committed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
export PATH="/usr/local/go/bin:$PATH"
export CGO_ENABLED=0
# shellcheck source=versions.env
source ./versions.env
mkdir -p bin

up_to_date() {
  [[ -x bin/helm ]] || return 1
  local src
  for src in versions.env build.sh; do
    [[ bin/helm -nt "$src" ]] || return 1
  done
}
if [[ "${1:-}" != "--force" ]] && up_to_date; then
  echo "helm: bin/helm ${HELM_VERSION} up to date in $here/bin"
  exit 0
fi

# The same version stamps helm's Makefile sets, so `helm version` and the default KubeVersion of
# `helm template` are what a released binary reports.
pkg=helm.sh/helm/v3
ldflags="-s -w -X ${pkg}/internal/version.version=${HELM_VERSION} \
 -X ${pkg}/pkg/lint/rules.k8sVersionMajor=1 -X ${pkg}/pkg/lint/rules.k8sVersionMinor=${HELM_KUBE_VERSION_MINOR} \
 -X ${pkg}/pkg/chartutil.k8sVersionMajor=1 -X ${pkg}/pkg/chartutil.k8sVersionMinor=${HELM_KUBE_VERSION_MINOR}"
echo "helm: building ${pkg}/cmd/helm@${HELM_VERSION}"
# nice: minutes on 2 shared cores; must not starve the C++ builds next to it. -pgo=off: cacheable.
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
GOBIN="$tmp" nice -n 10 go install -pgo=off -trimpath -ldflags "$ldflags" "${pkg}/cmd/helm@${HELM_VERSION}"
mv "$tmp/helm" bin/helm
echo "helm: done: $(bin/helm version --short)"
