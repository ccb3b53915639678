// WAMP RawSocket server (spec advanced/transport_rawsocket.md) over TCP or a
// Unix domain socket: the 4-byte handshake, length-prefixed frames, PING/PONG,
// and the maximum message length enforced both ways; TLS on TCP (tcps://)
// with certificate reload.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include <nexus/router/router.hpp>
#include <nexus/serialize/serializer.hpp>
#include <nexus/transport/tls.hpp>

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
    /// A client that has not completed the handshake (with TLS: the TLS
    /// handshake and the RawSocket one together) by then is closed.
    std::chrono::milliseconds handshake_timeout{10000};
    /// A connection whose socket takes no byte of a pending write for this
    /// long (its peer stopped reading) is closed; 0 = never.
    std::chrono::milliseconds write_timeout{30000};
    /// A connection without a byte from its peer for half this long gets a
    /// PING, and is closed after all of it without an answer (or any other
    /// byte); 0 = no idle timeout. Unlike TCP keepalive it finds peers whose
    /// host still answers while their application hangs.
    std::chrono::milliseconds idle_timeout{0};
    /// Open connections each listener (the TCP one and the Unix one apart)
    /// keeps; one more is closed at accept, logged and counted
    /// (MetricsSnapshot::connections_refused). 0 = no cap.
    std::size_t max_connections = 0;
    /// Open connections from one IP address on the TCP listener (Unix
    /// socket peers have no address: only max_connections counts them);
    /// 0 = no cap.
    std::size_t max_connections_per_address = 0;
    /// TCP keepalive probes (0 = off).
    std::chrono::seconds tcp_keepalive{0};
    serialize::DecodeLimits limits;
    /// Messages each connection may have queued towards its peer before the
    /// router's overflow policy applies; 0 = RouterConfig::out_queue_size.
    std::size_t out_queue_size = 0;
    /// Certificate and key for TLS on the TCP listener (tcps://), and whether
    /// clients are asked for certificates (authmethod "tls"); none = plain
    /// TCP. The Unix socket listener is always plain.
    TlsServerOptions tls;
};

class RawSocketServer {
public:
    /// With options.tls: loads the certificate and key, throwing TlsError
    /// naming the file and the reason when they cannot be used.
    RawSocketServer(boost::asio::any_io_executor executor, router::Router& router,
                    RawSocketOptions options);
    ~RawSocketServer();

    /// Binds and listens; throws boost::system::system_error naming the address.
    void start();
    /// Stops accepting and closes every connection. Idempotent.
    void stop();
    /// Stops accepting; every open connection writes what is queued for it
    /// (a GOODBYE after Router::shutdown(), say) and closes, or is closed
    /// once `grace` has passed. `done` runs on the executor when the last one
    /// has closed (at once without connections). Idempotent: once stopped,
    /// `done` runs at once.
    void stop(std::chrono::milliseconds grace, std::function<void()> done = {});

    /// The bound TCP port (after start), 0 without TCP.
    std::uint16_t tcp_port() const;

    /// Reads options.tls's files again (the client CA file too): connections
    /// accepted from now on get the new certificate and are checked against
    /// the new client CAs, open ones keep theirs. On failure throws TlsError
    /// and the current certificate stays. Thread-safe; nothing without TLS.
    void reload_tls();
    /// Whether the TCP listener speaks TLS.
    bool tls() const;

private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

} // namespace nexus::transport
