// nexusd's HTTP listener: Boost.Beast HTTP/1.1 on the router's io_context,
// plain or TLS (the same certificate rules and reload as the WAMP listeners).
//
// The network side runs on the io_context, one strand per connection; the
// handler runs on a separate executor (nexusd gives it a thread of its own),
// so that building a large answer never holds up routing on the I/O threads.
// Bounded: request header and body size, the time to receive a request and
// to send an answer, the number of connections.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <nexus/transport/tls.hpp>

namespace nexusd::http {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;

struct ServerOptions {
    std::string address;                    // "host:port"; port 0 picks a free one
    nexus::transport::TlsServerOptions tls; // none: plain HTTP
    std::size_t max_connections = 64;       // beyond: accepted and closed at once
    std::size_t max_body_size = 64 * 1024;  // larger: 413
    std::size_t max_header_size = 8 * 1024; // larger: 431
    /// From the moment a connection waits for a request until all of it is
    /// in (also the keep-alive idle time), and for writing an answer.
    std::chrono::milliseconds request_timeout{10000};
};

/// What a request came with besides itself.
struct RequestContext {
    bool tls = false;
    std::string peer; // "tcp4:127.0.0.1:40112"
};

/// Answers a request. Runs on the handler executor; returns the response
/// (status, headers, body; the server sets Content-Length and keep-alive).
using Handler = std::function<Response(const Request&, const RequestContext&)>;
/// Where the server reports what it cannot do (accept failures).
using Logger = std::function<void(std::string_view)>;

struct ServerStats {
    std::uint64_t connections_open = 0;
    std::uint64_t connections_accepted = 0;
    std::uint64_t connections_refused = 0; // over max_connections
    std::uint64_t requests = 0;
};

class Server {
public:
    /// With options.tls: loads the certificate and key, throwing
    /// nexus::transport::TlsError when they cannot be used.
    Server(boost::asio::any_io_executor io, boost::asio::any_io_executor handlers,
           ServerOptions options, Handler handler, Logger logger = {});
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    /// Binds and listens; throws boost::system::system_error naming the address.
    void start();
    /// Stops accepting and closes every connection. Idempotent.
    void stop();
    std::uint16_t port() const;

    /// See RawSocketServer::reload_tls(). Nothing without TLS.
    void reload_tls();
    bool tls() const;

    ServerStats stats() const;

    struct Impl;

private:
    std::shared_ptr<Impl> impl_;
};

} // namespace nexusd::http
