#!/usr/bin/env bash
# Builds the real test servers (kube-apiserver, etcd) from the Go module proxy into tools/envtest/bin/
# and extracts Istio's CRDs from the istio.io/api module. Idempotent: with a warm GOCACHE/GOMODCACHE a
# rebuild takes seconds; if the binaries are newer than go.mod/go.sum/versions.env nothing is done.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
export PATH="/usr/local/go/bin:$PATH"
export CGO_ENABLED=0
# shellcheck source=versions.env
source ./versions.env
minor="${KUBE_VERSION#v1.}"; minor="${minor%%.*}"
mkdir -p bin

up_to_date() {
  local f
  for f in bin/kube-apiserver bin/etcd bin/istio-crds.yaml; do
    [[ -s "$f" ]] || return 1
    for src in go.mod go.sum versions.env build.sh; do
      [[ "$f" -nt "$src" ]] || return 1
    done
  done
}
if [[ "${1:-}" != "--force" ]] && up_to_date; then
  echo "envtest: binaries up to date in $here/bin"
  exit 0
fi

# nice: the build takes minutes on 2 cores and must not starve the C++ builds next to it.
# -pgo=off: upstream's default.pgo would make the build slower and less cacheable.
ldflags="-s -w -X k8s.io/component-base/version.gitVersion=${KUBE_VERSION} \
 -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=${minor}"
echo "envtest: building kube-apiserver ${KUBE_VERSION}"
nice -n 10 go build -mod=mod -pgo=off -trimpath -ldflags "$ldflags" -o bin/kube-apiserver.tmp \
  k8s.io/kubernetes/cmd/kube-apiserver
mv bin/kube-apiserver.tmp bin/kube-apiserver
echo "envtest: building etcd"
nice -n 10 go build -mod=mod -pgo=off -trimpath -ldflags "-s -w" -o bin/etcd.tmp go.etcd.io/etcd/server/v3
mv bin/etcd.tmp bin/etcd

# Istio's CRDs are YAML inside the istio.io/api module; no Go package imports them, so fetch the
# module directly instead of listing it in go.mod (go mod tidy would drop it).
istio_dir="$(go mod download -json "istio.io/api@${ISTIO_API_VERSION}" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')"
cp "$istio_dir/kubernetes/customresourcedefinitions.gen.yaml" bin/istio-crds.yaml.tmp
chmod u+w bin/istio-crds.yaml.tmp
mv bin/istio-crds.yaml.tmp bin/istio-crds.yaml
echo "envtest: done: $(ls bin)"
