// nexusd's startup check for accidental exposure: realms that let anonymous
// sessions in on a listener other hosts can reach get a warning in the log,
// since such a realm serves anyone who can reach that address.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config.hpp"

namespace nexusd {

/// True for a "host:port" whose host is a loopback address: 127.0.0.0/8,
/// "localhost", [::1] or an IPv4-mapped 127.x address. False for anything
/// else, including ":port" (every interface), 0.0.0.0 and [::].
bool is_loopback_address(std::string_view host_port);

/// One warning per realm that admits anonymous sessions (and for the realm
/// template, whose realms would) and per TCP listener (RawSocket, WebSocket)
/// that is not on a loopback address. Unix sockets are local by nature.
std::vector<std::string> anonymous_exposure_warnings(const Config& config);

} // namespace nexusd
