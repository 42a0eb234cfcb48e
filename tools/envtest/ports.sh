# Sourced by the start scripts of tools/envtest and tools/istiod: a free loopback port to listen on.
# Below Linux's ephemeral range (32768+), so outgoing connections of concurrent tests cannot take a port
# between picking and binding it; any socket state counts as taken.
port_free() { ! ss -Htan "sport = :$1" | grep -q .; }
pick_port() {
  local p
  for _ in $(seq 1 200); do
    p=$(( 20000 + RANDOM % 12000 ))
    if port_free "$p"; then echo "$p"; return 0; fi
  done
  echo "start.sh: no free port" >&2; return 1
}
