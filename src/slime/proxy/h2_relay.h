#pragma once
// h2c (HTTP/2 with prior knowledge: gRPC clients, Envoy's h2 upstreams) relayed stream by stream. Every
// request is routed on its own, because one client connection may carry calls to many services (Envoy
// multiplexes all traffic for the global sidecar onto few connections). Each stream goes out on an h2c
// connection to its destination that this client connection opened and keeps for the streams after it.
//
// Flow control is end to end: bytes received on one side are acknowledged (WINDOW_UPDATE) only once the
// other side's session has taken them, so a slow reader slows its writer down and the relay holds at most
// one connection window (1 MiB) per direction and connection.
#include <cstdint>
#include <string>

#include "slime/proxy/asio.h"
#include "slime/proxy/session.h"

namespace slime::proxy {

// `received`: the bytes already read from the client, starting with the connection preface.
awaitable<void> relay_h2(tcp::socket socket, std::string received, uint16_t listen_port, SessionContext& ctx);

}  // namespace slime::proxy
