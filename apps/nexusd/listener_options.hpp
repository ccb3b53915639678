// The listeners' options as the configuration sets them, and the checks
// that `nexusd --check-config` runs on them without opening anything.
#pragma once

#include <string>
#include <vector>

#include <nexus/transport/rawsocket_server.hpp>
#include <nexus/transport/websocket_server.hpp>

#include "config.hpp"
#include "http/server.hpp"

namespace nexusd {

nexus::transport::RawSocketOptions rawsocket_options(const Config& config);
nexus::transport::WebSocketOptions websocket_options(const Config& config);
http::ServerOptions http_options(const Config& config);

/// What would stop startup besides the file itself: addresses that do not
/// parse, TLS certificates and keys that cannot be used, no WAMP listener.
/// Empty when all is well.
std::vector<std::string> check_listeners(const Config& config);

} // namespace nexusd
