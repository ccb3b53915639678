// Where and how wampbench connects: parsed from --url, --serializer, --target.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nexus/wamp/format.hpp>

namespace wampbench {

struct Target {
    enum class Transport { rawsocket, websocket };
    Transport transport = Transport::rawsocket;
    std::string host = "127.0.0.1";
    std::uint16_t port = 8081;
    std::string path = "/ws"; // WebSocket only
    nexus::wamp::Format format = nexus::wamp::Format::msgpack;
    /// True when talking to bench/forwarder rather than a WAMP router: a
    /// channel join replaces the WAMP session handshake (see session.hpp).
    bool forwarder = false;
    std::string realm = "realm1";
    std::string url = "rs://127.0.0.1:8081"; // as given, for the report
};

/// Same router endpoint (transport, host, port and path).
bool same_endpoint(const Target& a, const Target& b);

/// Accepts rs://host:port, tcp://host:port (RawSocket) and ws://host:port/path.
/// Returns an error message on failure.
std::optional<std::string> parse_url(const std::string& url, Target& target);

} // namespace wampbench
