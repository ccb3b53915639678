// The client side of a WAMP transport: something that carries Messages to a
// router and back. Open one by URL with async_connect(), or in-process to a
// Router in the same program with connect_local(), then give it to a Session.
//
//   auto t = co_await nexus::client::async_connect(ex, "ws://127.0.0.1:8080/ws", {});
//   auto t = co_await nexus::client::async_connect(ex, "tcp://127.0.0.1:8081", {});
//   auto t = co_await nexus::client::async_connect(ex, "wss://example.com/ws", {});
//   auto t = co_await nexus::client::async_connect(ex, "unix:///run/nexus.sock", {});
//   auto t = nexus::client::connect_local(router, ex);
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <nexus/serialize/serializer.hpp>
#include <nexus/wamp/format.hpp>
#include <nexus/wamp/message.hpp>

namespace nexus::router {
class Router;
}

namespace nexus::client {

class Transport {
public:
    using MessageHandler = std::function<void(wamp::Message)>;
    /// Told why the connection ended (peer closed, I/O error, protocol error).
    using CloseHandler = std::function<void(std::string reason)>;

    virtual ~Transport() = default;

    /// Starts delivering what the router sends. `on_message` runs once per
    /// message, in order, never concurrently with itself or `on_close`;
    /// `on_close` runs once when the connection ends other than by close().
    /// Call once.
    virtual void start(MessageHandler on_message, CloseHandler on_close) = 0;
    /// Queues a message for the router. Thread-safe; order is kept. A message
    /// that cannot be encoded, or a send after the end, is dropped.
    virtual void send(wamp::Message message) = 0;
    /// Ends the connection. Idempotent; the handlers are not called for it.
    virtual void close() = 0;
    virtual bool is_open() const = 0;

    /// "local", "rawsocket" or "websocket".
    virtual std::string_view kind() const = 0;
    /// The serializer in use; none for the in-process transport.
    virtual std::optional<wamp::Format> format() const = 0;
    /// The TLS channel binding of `type` ("tls-unique" or "tls-exporter"):
    /// 32 bytes that this connection's two ends compute alike, for
    /// cryptosign's channel binding. Empty without TLS, and on TLS 1.2
    /// without the extended master secret.
    virtual std::vector<std::uint8_t> channel_id(std::string_view type) const {
        (void)type;
        return {};
    }
};

/// TLS for wss:// and tcps://.
struct TlsOptions {
    // Non-aggregate on purpose (see ConnectOptions).
    TlsOptions() = default;

    /// Check the router's certificate chain and that it names the host.
    bool verify_peer = true;
    /// PEM file of trusted CAs; empty = the system's default trust store.
    std::string ca_file;
    /// Client certificate chain and its unencrypted private key (PEM), for
    /// routers that authenticate clients by certificate (authmethod "tls",
    /// tls_authenticator()); empty = none. An empty private_key_file: the
    /// key is in certificate_file.
    std::string certificate_file;
    std::string private_key_file;
    /// The name sent as SNI and checked against the certificate; empty =
    /// the URL's host (an IP address is checked as an IP address).
    std::string server_name;
};

struct ConnectOptions {
    // A declared constructor makes this a non-aggregate: g++ 12 destroys
    // aggregate temporaries with member initializers twice when they appear
    // in a co_await expression (e.g. a defaulted options argument).
    ConnectOptions() = default;

    /// The serializer to speak (RawSocket and WebSocket).
    wamp::Format format = wamp::Format::json;
    /// Largest message we accept (announced in the RawSocket handshake).
    std::size_t max_message_size = std::size_t{1} << 24;
    /// Deadline for resolving, connecting and the transport handshake.
    std::chrono::milliseconds timeout{10000};
    /// Once connected, a write the router takes no byte of for this long
    /// (it stopped reading) closes the connection, and the session ends with
    /// the reason "write timed out: the router took no data for N ms"; the
    /// same semantics as the router's write_timeout (progress, not whole
    /// writes, counts). Also the TCP_USER_TIMEOUT of TCP connections, so
    /// that data a vanished router never acknowledged ends the connection
    /// then. 0 = never.
    std::chrono::milliseconds write_timeout{30000};
    serialize::DecodeLimits limits;
    TlsOptions tls;
};

/// A transport to `router` in the same process (no sockets, no encoding).
/// Messages are delivered on a strand of `executor`.
std::shared_ptr<Transport> connect_local(router::Router& router,
                                         boost::asio::any_io_executor executor);

using ConnectSignature = void(std::exception_ptr, std::shared_ptr<Transport>);

namespace detail {
void start_connect(boost::asio::any_io_executor executor, std::string url, ConnectOptions options,
                   boost::asio::any_completion_handler<ConnectSignature> handler);
}

/// Opens a transport to `url`: tcp://host:port, tcps://host:port (TLS) and
/// unix:///path (RawSocket), ws://host[:port]/path and wss://... (WebSocket).
/// Completes with the connected transport or a TransportError saying what
/// failed.
template <class Token = boost::asio::use_awaitable_t<>>
auto async_connect(boost::asio::any_io_executor executor, std::string url,
                   ConnectOptions options = {}, Token&& token = {}) {
    return boost::asio::async_initiate<Token, ConnectSignature>(
        [](auto handler, boost::asio::any_io_executor ex, std::string u, ConnectOptions o) {
            detail::start_connect(std::move(ex), std::move(u), std::move(o), std::move(handler));
        },
        token, std::move(executor), std::move(url), std::move(options));
}

} // namespace nexus::client
