#!/usr/bin/env bash
# Starts a throw-away Prometheus (the Debian package's binary) on a free loopback port, scraping TARGET.
#   tools/prometheus/start.sh WORKDIR TARGET [SCRAPE_INTERVAL]
#     WORKDIR   a directory for the config, the TSDB, the log and the pid file (created)
#     TARGET    host:port of the exporter to scrape (path /metrics)
# Prints the base URL (http://127.0.0.1:PORT) once Prometheus is ready; writes it to WORKDIR/address.
# Exit status 2: no prometheus binary (the caller may skip). Stop it with tools/prometheus/stop.sh WORKDIR.
set -euo pipefail

workdir=${1:?usage: start.sh WORKDIR TARGET [SCRAPE_INTERVAL]}
target=${2:?usage: start.sh WORKDIR TARGET [SCRAPE_INTERVAL]}
interval=${3:-1s}

bin=${PROMETHEUS_BIN:-$(command -v prometheus || true)}
if [[ -z "$bin" || ! -x "$bin" ]]; then
  echo "prometheus not found (apt-get install prometheus, or scripts/setup.sh)" >&2
  exit 2
fi

mkdir -p "$workdir/data"
cat >"$workdir/prometheus.yml" <<CONF
global:
  scrape_interval: $interval
  evaluation_interval: $interval
scrape_configs:
- job_name: target
  scrape_interval: $interval
  static_configs:
  - targets: ['$target']
CONF

# A free port: bind port 0 and read back what the kernel chose. Retries cover the race with other users.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()' 2>/dev/null ||
    echo $((20000 + RANDOM % 12000))  # below the ephemeral range (32768+)
}

for attempt in 1 2 3 4 5; do
  port=$(free_port)
  "$bin" --config.file="$workdir/prometheus.yml" \
    --storage.tsdb.path="$workdir/data" \
    --web.listen-address="127.0.0.1:$port" \
    --storage.tsdb.retention.time=1h \
    --log.level=warn >"$workdir/prometheus.log" 2>&1 &
  pid=$!
  echo "$pid" >"$workdir/pid"
  for _ in $(seq 1 100); do
    if ! kill -0 "$pid" 2>/dev/null; then break; fi
    if curl -fsS "http://127.0.0.1:$port/-/ready" >/dev/null 2>&1; then
      echo "http://127.0.0.1:$port" | tee "$workdir/address"
      exit 0
    fi
    sleep 0.1
  done
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  echo "attempt $attempt: prometheus did not become ready on port $port" >&2
  tail -5 "$workdir/prometheus.log" >&2 || true
done
exit 1
