// The WebSocket server's decision on an HTTP upgrade request: path, upgrade
// headers, allowed origins, subprotocol negotiation in the client's order of
// preference and the tracking cookie. Pure (apart from drawing a new cookie),
// so that tests and fuzz/websocket_upgrade_fuzz.cpp can drive it without a socket.
//
// The server reads the request with Beast's request parser, its header limit
// of 8 KiB and a body limit of 0 (a request with a body gets 413); the fuzzer
// parses with the same.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>

#include <nexus/wamp/value.hpp>

#include <nexus/transport/websocket_server.hpp>
#include <nexus/wamp/format.hpp>

namespace nexus::transport::upgrade {

/// The tracking cookie's name (WebSocketOptions::enable_tracking_cookie).
inline constexpr std::string_view cookie_name = "nexus-wamp-cookie";

using Request = boost::beast::http::request<boost::beast::http::string_body>;

/// A subprotocol we speak: a format, one WAMP message per WebSocket message or
/// batched (websocket_batch.hpp).
struct Subprotocol {
    wamp::Format format = wamp::Format::json;
    bool batched = false;

    bool operator==(const Subprotocol&) const = default;
    /// "wamp.2.json", "wamp.2.msgpack.batched", ...
    std::string name() const;
};

/// Go ahead with the WebSocket handshake.
struct Accept {
    /// The subprotocol agreed on.
    wamp::Format format = wamp::Format::json;
    bool batched = false;
    /// The tracking cookie; empty when the option is off.
    std::string cookie;
    /// `cookie` is new: the response sets it.
    bool new_cookie = false;
};

/// Answer with an HTTP error and close.
struct Refuse {
    boost::beast::http::status status = boost::beast::http::status::bad_request;
    /// The response body.
    std::string reason;
};

using Decision = std::variant<Accept, Refuse>;

/// Decides on `request` under `options` (paths, formats, allow_origins,
/// enable_tracking_cookie). Never throws for any request Beast parsed.
Decision decide(const Request& request, const WebSocketOptions& options);

/// The request's headers as an object: names in lower case, the values of a
/// repeated header joined by ", " (RFC 9110 5.3).
wamp::Value received_headers(const Request& request);

// The pieces of decide(), for tests.

/// "*" matches any run of characters; everything else literally (ASCII case-insensitive).
bool glob_match(std::string_view pattern, std::string_view text);
/// The first subprotocol in the client's comma-separated list that we speak:
/// one of `ours`, plain or batched.
std::optional<Subprotocol> negotiate(std::string_view offered,
                                     const std::vector<wamp::Format>& ours);
/// The value of our tracking cookie in a Cookie header, or empty.
std::string cookie_value(std::string_view header);

} // namespace nexus::transport::upgrade
