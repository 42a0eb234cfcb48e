#!/usr/bin/env bash
# Usage: start.sh DIR KUBECONFIG
# Starts istiod (pilot-discovery, built by build.sh) against the apiserver of KUBECONFIG on free
# loopback ports: plaintext xDS only, no CA, no webhooks, no injection, no leader election, a fast
# debounce for tests. Writes DIR/istiod.env (ISTIOD_XDS_PORT, ISTIOD_HTTP_PORT, ISTIOD_MONITORING_PORT),
# DIR/istiod.pid, DIR/istiod.log, and waits until GET /ready answers 200.
# The caller installs Istio's CRDs and the istio-system namespace first (istiod reads them at start).
# Environment: ISTIOD_DEBOUNCE_AFTER / ISTIOD_DEBOUNCE_MAX override the debounce (defaults 10ms / 100ms:
# tests measure Slime, not the production 100ms / 10s), ISTIOD_EXTRA_ENV adds "K=V K2=V2".
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dir="${1:?usage: start.sh DIR KUBECONFIG}"
kubeconfig="${2:?usage: start.sh DIR KUBECONFIG}"
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
bin="${SLIME_ISTIOD_BIN:-$here/bin}/pilot-discovery"
[[ -x "$bin" ]] || { echo "istiod start.sh: $bin missing; run tools/istiod/build.sh" >&2; exit 1; }
# shellcheck source=versions.env
source "$here/versions.env"

# shellcheck source=../envtest/ports.sh
source "$here/../envtest/ports.sh"
alive() { [[ -f "$dir/istiod.pid" ]] && kill -0 "$(cat "$dir/istiod.pid")" 2>/dev/null; }

if [[ ! -f "$dir/istiod.env" ]]; then
  {
    echo "ISTIOD_XDS_PORT=$(pick_port)"
    echo "ISTIOD_HTTP_PORT=$(pick_port)"
    echo "ISTIOD_MONITORING_PORT=$(pick_port)"
    echo "ISTIOD_VERSION=${ISTIO_BUILD_VERSION}"
  } > "$dir/istiod.env"
fi
# shellcheck disable=SC1091
source "$dir/istiod.env"

if ! alive; then
  # The mesh config and mesh networks files are absent on purpose (built-in defaults); the path must
  # be in an existing directory, or istiod reads it as a broken file.
  # PILOT_ENVOY_FILTER_STATS: pilot_envoy_filter_status tells which EnvoyFilter patch applied.
  # shellcheck disable=SC2086
  setsid env POD_NAMESPACE=istio-system POD_NAME=istiod-local REVISION=default \
    ENABLE_CA_SERVER=false PILOT_CERT_PROVIDER=none INJECT_ENABLED=false \
    INJECTION_WEBHOOK_CONFIG_NAME= VALIDATION_WEBHOOK_CONFIG_NAME= ENABLE_LEADER_ELECTION=false \
    PILOT_ENABLE_GATEWAY_API=false PILOT_ENVOY_FILTER_STATS=true \
    PILOT_DEBOUNCE_AFTER="${ISTIOD_DEBOUNCE_AFTER:-10ms}" PILOT_DEBOUNCE_MAX="${ISTIOD_DEBOUNCE_MAX:-100ms}" \
    ${ISTIOD_EXTRA_ENV:-} \
    "$bin" discovery --kubeconfig="$kubeconfig" --clusterID=Kubernetes --domain=cluster.local \
      --grpcAddr="127.0.0.1:${ISTIOD_XDS_PORT}" --secureGRPCAddr= --httpsAddr= \
      --httpAddr="127.0.0.1:${ISTIOD_HTTP_PORT}" --monitoringAddr="127.0.0.1:${ISTIOD_MONITORING_PORT}" \
      --meshConfig="$dir/mesh.absent" --networksConfig="$dir/meshNetworks.absent" --log_output_level=default:info \
      > "$dir/istiod.log" 2>&1 < /dev/null &
  echo $! > "$dir/istiod.pid"
fi

deadline=$(( $(date +%s) + ${SLIME_ISTIOD_TIMEOUT:-120} ))
until curl -sf "http://127.0.0.1:${ISTIOD_HTTP_PORT}/ready" >/dev/null 2>&1; do
  if ! alive; then
    echo "istiod start.sh: istiod died, see $dir/istiod.log" >&2
    tail -20 "$dir/istiod.log" >&2; exit 1
  fi
  if (( $(date +%s) > deadline )); then echo "istiod start.sh: not ready in time, see $dir/istiod.log" >&2; exit 1; fi
  sleep 0.2
done
echo "istiod: ready: xDS 127.0.0.1:${ISTIOD_XDS_PORT}, debug http://127.0.0.1:${ISTIOD_HTTP_PORT}, metrics :${ISTIOD_MONITORING_PORT}"
