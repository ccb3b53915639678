// The boundary between the router and a transport.
//
// A transport (WebSocket, RawSocket, in-process) implements Peer and calls
// Router::attach() for each new connection. It gets back a Connection: it
// hands every received message to Connection::receive() and, whenever the
// router calls Peer::wake(), drains Connection::take() and writes what it got.
//
// The router never writes to a socket and never waits for a peer: it only
// appends to the connection's bounded outbound queue. A peer that stops
// reading fills its queue and then meets RouterConfig::overflow.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nexus/router/outgoing.hpp>
#include <nexus/wamp/message.hpp>
#include <nexus/wamp/value.hpp>

namespace nexus::router {

class Peer {
public:
    virtual ~Peer() = default;

    /// The outbound queue became non-empty: drain it soon. Called from any
    /// thread, possibly while the router holds a realm lock, so it must only
    /// schedule work (post to an executor, signal a condition) and return.
    virtual void wake() = 0;

    /// The router is done with this connection (after ABORT, GOODBYE, a
    /// protocol violation, overflow or shutdown). Write what is still queued
    /// (best effort, bounded), then close the transport. Same rules as wake().
    virtual void close() = 0;

    /// The peer overflowed its outbound queue under OverflowPolicy::disconnect:
    /// close the transport at once, dropping what is queued (a peer that
    /// cannot keep up would otherwise hold the connection while the queue
    /// drains to it). Same rules as wake(). By default close().
    virtual void abort() { close(); }
};

/// A TLS client certificate that verified against the listener's client CA
/// file (transport::TlsServerOptions::client_ca_file) in the handshake.
struct ClientCertificate {
    /// The subject's common name: the only CN of the subject, in UTF-8;
    /// empty when the subject has none, or more than one.
    std::string common_name;
    /// The subject and the issuer as RFC 2253 distinguished names
    /// ("CN=sensor-1,O=Example").
    std::string subject;
    std::string issuer;
    /// SHA-256 of the certificate's DER encoding, 64 lower-case hex digits.
    std::string sha256;
    /// The serial number in upper-case hex.
    std::string serial;
};

/// Facts about the transport, for meta API `transport` details and authentication.
/// The members after `peer` have initializers, so that designated initializers
/// may leave out what a transport does not know.
struct TransportInfo {
    std::string type;     // "websocket", "rawsocket", "local"
    std::string protocol; // e.g. "wamp.2.json"
    std::string peer;     // e.g. "tcp4:127.0.0.1:53172"
    wamp::Object extra{}; // e.g. HTTP headers, cookie id
    /// TLS channel bindings by type ("tls-unique", "tls-exporter"), 32 bytes
    /// each, for cryptosign's channel binding; empty without TLS. Never shown
    /// by the meta API.
    std::map<std::string, std::vector<std::uint8_t>> channel_ids{};
    /// The client's certificate, only when the TLS handshake verified it
    /// (authmethod "tls"); never shown by the meta API.
    std::optional<ClientCertificate> client_certificate{};
};

class ConnectionImpl;

/// Why a transport could not send a queued message to its peer.
enum class Undeliverable {
    too_large,   // larger than the peer's maximum message size
    unencodable, // its values cannot be written in the peer's serializer (NaN in JSON)
};

/// The router's end of one transport connection. Thread-safe.
class Connection {
public:
    explicit Connection(std::shared_ptr<ConnectionImpl> impl) : impl_(std::move(impl)) {}
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    /// A message arrived from the peer. Messages of one connection must be
    /// passed in order and not concurrently.
    void receive(wamp::Message message);

    /// A message that could not be decoded (the error text goes into the
    /// ABORT the peer gets, as a protocol violation).
    void receive_garbage(const std::string& error);

    /// Moves up to `max` queued messages into `out`; returns how many.
    std::size_t take(std::vector<OutgoingPtr>& out, std::size_t max = 64);

    /// The transport is gone (socket closed or failed). Ends the session as
    /// an abnormal leave; safe to call more than once.
    void disconnected();

    /// A message taken from the queue that the transport could not send (it
    /// skips it and goes on). The router answers where someone waits for it:
    /// a caller whose RESULT (or callee's ERROR) was too large gets ERROR
    /// wamp.error.payload_size_exceeded; an INVOCATION that cannot reach its
    /// callee fails the call the same way; other messages (EVENTs) are
    /// counted and logged. Call it from the transport's own thread, with no
    /// lock held.
    void undeliverable(const OutgoingPtr& message, Undeliverable why);
    /// How many messages were undeliverable so far.
    std::uint64_t undeliverable_messages() const;

    /// Session id once joined, 0 before.
    wamp::Id session_id() const;
    /// EVENTs dropped for this peer under OverflowPolicy::drop_events.
    std::uint64_t dropped_events() const;

private:
    std::shared_ptr<ConnectionImpl> impl_;
};

} // namespace nexus::router
