// WAMP over WebSocket (spec basic/transports, RFC 6455) on Boost.Beast:
// subprotocols wamp.2.json / wamp.2.msgpack / wamp.2.cbor negotiated in the
// client's order of preference, permessage-deflate, allowed origins, an
// optional tracking cookie, message size limit, handshake and idle timeouts
// with ping keepalive; TLS (wss://) with certificate reload.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include <nexus/router/router.hpp>
#include <nexus/serialize/serializer.hpp>
#include <nexus/transport/tls.hpp>

namespace nexus::transport {

struct WebSocketOptions {
    /// "host:port" (port 0 picks a free one).
    std::string address = "127.0.0.1:8080";
    /// Request paths that accept the upgrade.
    std::vector<std::string> paths{"/", "/ws"};
    /// Offered serializers we accept (all three by default).
    std::vector<wamp::Format> formats{wamp::Format::json, wamp::Format::msgpack,
                                      wamp::Format::cbor};
    bool enable_compression = false;
    /// Origin patterns ("*" matches any run of characters); empty = any origin.
    std::vector<std::string> allow_origins;
    /// Set (and read back) the cookie "nexus-wamp-cookie" to recognise a browser.
    bool enable_tracking_cookie = false;
    std::size_t max_message_size = std::size_t{16} << 20;
    /// Covers the TLS handshake (wss) and the HTTP upgrade together.
    std::chrono::milliseconds handshake_timeout{10000};
    /// Idle connections are pinged at half this interval and closed after it
    /// without an answer; 0 = no idle timeout.
    std::chrono::milliseconds idle_timeout{0};
    /// A connection whose socket takes no byte of a pending write for this
    /// long (its peer stopped reading) is closed; 0 = never.
    std::chrono::milliseconds write_timeout{30000};
    /// Open connections this listener keeps; one more is closed at accept,
    /// logged and counted (MetricsSnapshot::connections_refused). 0 = no cap.
    std::size_t max_connections = 0;
    /// Open connections from one IP address; 0 = no cap.
    std::size_t max_connections_per_address = 0;
    serialize::DecodeLimits limits;
    /// Messages each connection may have queued towards its peer before the
    /// router's overflow policy applies; 0 = RouterConfig::out_queue_size.
    std::size_t out_queue_size = 0;
    /// Hand the upgrade request to the dynamic authenticator: its
    /// `details.transport` then carries `http_headers_received` (header
    /// names in lower case; repeated headers joined by ", ") and
    /// `http_path`, so that a backend can authenticate by headers (an API
    /// key, a proxy's identity). Other sessions never see them.
    bool capture_request = false;
    /// Certificate and key for wss://, and whether clients are asked for
    /// certificates (authmethod "tls"); none = plain ws://.
    TlsServerOptions tls;
};

class WebSocketServer {
public:
    /// With options.tls: loads the certificate and key, throwing TlsError
    /// naming the file and the reason when they cannot be used.
    WebSocketServer(boost::asio::any_io_executor executor, router::Router& router,
                    WebSocketOptions options);
    ~WebSocketServer();

    /// Binds and listens; throws naming the address.
    void start();
    /// Stops accepting and closes every connection. Idempotent.
    void stop();
    /// Stops accepting; every open connection writes what is queued for it
    /// (a GOODBYE after Router::shutdown(), say), then a close frame, and
    /// closes, or is closed once `grace` has passed. `done` runs on the
    /// executor when the last one has closed (at once without connections).
    /// Idempotent: once stopped, `done` runs at once.
    void stop(std::chrono::milliseconds grace, std::function<void()> done = {});
    std::uint16_t port() const;

    /// Reads options.tls's files again (the client CA file too): connections
    /// accepted from now on get the new certificate and are checked against
    /// the new client CAs, open ones keep theirs. On failure throws TlsError
    /// and the current certificate stays. Thread-safe; nothing without TLS.
    void reload_tls();
    /// Whether this server speaks TLS.
    bool tls() const;

private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

} // namespace nexus::transport
