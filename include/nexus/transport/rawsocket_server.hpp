// WAMP RawSocket server (spec advanced/transport_rawsocket.md) over TCP or a
// Unix domain socket: the 4-byte handshake, length-prefixed frames, PING/PONG,
// and the maximum message length enforced both ways.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include <nexus/router/router.hpp>
#include <nexus/serialize/serializer.hpp>

namespace nexus::transport {

struct RawSocketOptions {
    /// "host:port" for TCP ("127.0.0.1:8081", "[::1]:8081"; port 0 picks a
    /// free one), or empty for none.
    std::string tcp_address;
    /// Path of a Unix domain socket, or empty for none. An old socket file at
    /// that path is replaced.
    std::string unix_path;
    /// Largest message we accept, announced in the handshake as a power of
    /// two between 512 B and 16 MiB (rounded down to one).
    std::size_t max_message_size = std::size_t{1} << 24;
    /// A client that has not completed the handshake by then is closed.
    std::chrono::milliseconds handshake_timeout{10000};
    /// TCP keepalive probes (0 = off).
    std::chrono::seconds tcp_keepalive{0};
    serialize::DecodeLimits limits;
};

class RawSocketServer {
public:
    RawSocketServer(boost::asio::any_io_executor executor, router::Router& router,
                    RawSocketOptions options);
    ~RawSocketServer();

    /// Binds and listens; throws boost::system::system_error naming the address.
    void start();
    /// Stops accepting and closes every connection. Idempotent.
    void stop();

    /// The bound TCP port (after start), 0 without TCP.
    std::uint16_t tcp_port() const;

    struct Impl;

private:
    std::shared_ptr<Impl> impl_;
};

} // namespace nexus::transport
