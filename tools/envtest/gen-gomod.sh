#!/usr/bin/env bash
# Regenerates go.mod/go.sum of the wrapper module for KUBE_VERSION (versions.env).
# Why a generator: k8s.io/kubernetes requires its staging modules at v0.0.0 and maps them with
# replace directives that only apply inside its own repo; a consumer must re-map each one to the
# published v0.N.P tag. The list changes between releases, so it is read from the upstream go.mod.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
export PATH="/usr/local/go/bin:$PATH"
# shellcheck source=versions.env
source ./versions.env
minor="${KUBE_VERSION#v1.}"            # 36.3
staging_version="v0.${minor}"          # v0.36.3

rm -f go.mod go.sum
go mod init slime.io/tools/envtest >/dev/null 2>&1
go mod edit -go=1.26.0
upstream_mod="$(go mod download -json "k8s.io/kubernetes@${KUBE_VERSION}" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
etcd_version="$(awk '$1=="go.etcd.io/etcd/server/v3"{print $2}' "$upstream_mod")"
for m in $(awk '$1 ~ /^k8s\.io\// && $2=="v0.0.0"{print $1}' "$upstream_mod"); do
  go mod edit -replace="${m}=${m}@${staging_version}"
done
go get -tool "k8s.io/kubernetes/cmd/kube-apiserver@${KUBE_VERSION}"
# etcd's server module has a main package at its root; building it from the same graph keeps the
# server consistent with the apiserver's etcd client.
go get -tool "go.etcd.io/etcd/server/v3@${etcd_version}"
go mod tidy
echo "generated go.mod for kubernetes ${KUBE_VERSION}, etcd ${etcd_version}"
