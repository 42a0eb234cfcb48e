#!/usr/bin/env bash
# Usage: start.sh DIR [etcd|apiserver|apiserver2]
# Starts etcd and kube-apiserver (built by build.sh) on free loopback ports, writes DIR/kubeconfig
# (client-certificate user, current context) plus a bearer-token context, DIR/*.pid, DIR/*.log and
# DIR/env (ports), and waits until the apiserver's /readyz says ok.
# SLIME_ENVTEST_AUDIT_POLICY=FILE: the apiserver writes an audit log (JSON lines) to DIR/audit.log under that
# policy, for tests that prove what Slime did or did not request.
# Re-running on a DIR that already has an env file reuses its ports, certificates and etcd data, so a
# test can stop and start one component (e.g. restart the apiserver) on the same address.
# `apiserver2` starts a second kube-apiserver on the same etcd (an HA control plane: fault tests write
# through it while the first is down) and writes DIR/kubeconfig2.
# SLIME_ENVTEST_APISERVER_FLAGS: extra flags for the apiserver started by this call (e.g.
# --watch-cache=false, so watches read etcd directly and meet its compaction).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dir="${1:?usage: start.sh DIR [etcd|apiserver]}"
only="${2:-all}"
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
bin="${SLIME_ENVTEST_BIN:-$here/bin}"
for b in etcd kube-apiserver; do
  [[ -x "$bin/$b" ]] || { echo "start.sh: $bin/$b missing; run tools/envtest/build.sh" >&2; exit 1; }
done

# shellcheck source=ports.sh
source "$here/ports.sh"

if [[ ! -f "$dir/env" ]]; then
  {
    echo "ETCD_CLIENT_PORT=$(pick_port)"
    echo "ETCD_PEER_PORT=$(pick_port)"
    echo "APISERVER_PORT=$(pick_port)"
    echo "TOKEN=slime-envtest-token"
  } > "$dir/env"
fi
if ! grep -q '^APISERVER2_PORT=' "$dir/env"; then echo "APISERVER2_PORT=$(pick_port)" >> "$dir/env"; fi
# shellcheck disable=SC1091
source "$dir/env"

pki="$dir/pki"
if [[ ! -f "$pki/ca.crt" ]]; then
  # Our own CA, so the kubeconfig can verify the server (no insecure-skip) and authenticate by
  # client certificate the way a real cluster's admin kubeconfig does.
  mkdir -p "$pki"
  (
    cd "$pki"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=slime-envtest-ca" \
      -keyout ca.key -out ca.crt 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver" -keyout server.key -out server.csr 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' > server.ext
    openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
      -extfile server.ext -out server.crt 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/O=system:masters/CN=admin" -keyout client.key -out client.csr 2>/dev/null
    printf 'extendedKeyUsage=clientAuth\n' > client.ext
    openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
      -extfile client.ext -out client.crt 2>/dev/null
    openssl genrsa -out sa.key 2048 2>/dev/null
    echo "${TOKEN},admin,admin,\"system:masters\"" > tokens.csv
  )
fi

alive() { [[ -f "$dir/$1.pid" ]] && kill -0 "$(cat "$dir/$1.pid")" 2>/dev/null; }

if [[ "$only" == all || "$only" == etcd ]] && ! alive etcd; then
  unsafe=""
  # Read the help whole: under pipefail, grep -q exiting early would SIGPIPE etcd and hide the flag.
  if grep -q unsafe-no-fsync <<<"$("$bin/etcd" --help 2>&1)"; then unsafe="--unsafe-no-fsync"; fi
  client="http://127.0.0.1:${ETCD_CLIENT_PORT}"; peer="http://127.0.0.1:${ETCD_PEER_PORT}"
  # setsid: the servers must outlive the shell that started them and must not get its signals.
  setsid "$bin/etcd" --name envtest --data-dir "$dir/etcd-data" \
    --listen-client-urls "$client" --advertise-client-urls "$client" \
    --listen-peer-urls "$peer" --initial-advertise-peer-urls "$peer" \
    --initial-cluster "envtest=$peer" $unsafe --log-level warn \
    > "$dir/etcd.log" 2>&1 < /dev/null &
  echo $! > "$dir/etcd.pid"
  for _ in $(seq 1 100); do
    curl -sf "$client/health" >/dev/null 2>&1 && break
    alive etcd || { echo "start.sh: etcd died, see $dir/etcd.log" >&2; tail -5 "$dir/etcd.log" >&2; exit 1; }
    sleep 0.1
  done
fi

# start_apiserver NAME PORT: one kube-apiserver on etcd (pid and log named after NAME).
start_apiserver() {
  local name="$1" port="$2"
  local audit=()
  if [[ -n "${SLIME_ENVTEST_AUDIT_POLICY:-}" ]]; then
    audit=(--audit-policy-file="$SLIME_ENVTEST_AUDIT_POLICY" --audit-log-path="$dir/${name/kube-apiserver/audit}.log" --audit-log-format=json)
  fi
  # shellcheck disable=SC2086  # the extra flags are meant to be split into words
  setsid "$bin/kube-apiserver" \
    --etcd-servers="http://127.0.0.1:${ETCD_CLIENT_PORT}" \
    --bind-address=127.0.0.1 --secure-port="${port}" --cert-dir="$pki" \
    --tls-cert-file="$pki/server.crt" --tls-private-key-file="$pki/server.key" \
    --client-ca-file="$pki/ca.crt" --token-auth-file="$pki/tokens.csv" \
    --authorization-mode=RBAC \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$pki/sa.key" --service-account-signing-key-file="$pki/sa.key" \
    --service-cluster-ip-range=10.96.0.0/16 --disable-admission-plugins=ServiceAccount \
    --endpoint-reconciler-type=none --enable-priority-and-fairness=false --allow-privileged=true \
    --max-requests-inflight=0 --max-mutating-requests-inflight=0 ${SLIME_ENVTEST_APISERVER_FLAGS:-} "${audit[@]}" \
    > "$dir/$name.log" 2>&1 < /dev/null &
  echo $! > "$dir/$name.pid"
}

# write_kubeconfig FILE PORT
write_kubeconfig() {
  cat > "$1" <<KC
apiVersion: v1
kind: Config
clusters:
- name: envtest
  cluster:
    server: https://127.0.0.1:$2
    certificate-authority: ${pki}/ca.crt
users:
- name: admin-cert
  user:
    client-certificate: ${pki}/client.crt
    client-key: ${pki}/client.key
- name: admin-token
  user:
    token: ${TOKEN}
contexts:
- name: envtest
  context: {cluster: envtest, user: admin-cert}
- name: envtest-token
  context: {cluster: envtest, user: admin-token, namespace: default}
current-context: envtest
KC
}

# wait_ready NAME PORT
wait_ready() {
  local deadline=$(( $(date +%s) + ${SLIME_ENVTEST_TIMEOUT:-90} ))
  until [[ "$(curl -s --cacert "$pki/ca.crt" -H "Authorization: Bearer ${TOKEN}" "https://127.0.0.1:$2/readyz" 2>/dev/null)" == ok ]]; do
    if ! alive "$1"; then
      echo "start.sh: $1 died, see $dir/$1.log" >&2
      tail -20 "$dir/$1.log" >&2; exit 1
    fi
    if (( $(date +%s) > deadline )); then echo "start.sh: $1 not ready in time" >&2; exit 1; fi
    sleep 0.2
  done
}

if [[ "$only" == all || "$only" == apiserver ]] && ! alive kube-apiserver; then
  start_apiserver kube-apiserver "$APISERVER_PORT"
fi
if [[ "$only" == apiserver2 ]] && ! alive kube-apiserver2; then
  start_apiserver kube-apiserver2 "$APISERVER2_PORT"
fi

write_kubeconfig "$dir/kubeconfig" "$APISERVER_PORT"
server="https://127.0.0.1:${APISERVER_PORT}"
if [[ "$only" == all || "$only" == apiserver ]]; then wait_ready kube-apiserver "$APISERVER_PORT"; fi
if [[ "$only" == apiserver2 ]]; then
  write_kubeconfig "$dir/kubeconfig2" "$APISERVER2_PORT"
  wait_ready kube-apiserver2 "$APISERVER2_PORT"
  server="https://127.0.0.1:${APISERVER2_PORT}"
fi
echo "envtest: ready at $server (kubeconfig $dir/kubeconfig)"
