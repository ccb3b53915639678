// What a router has done, for monitoring: Router::metrics() returns a
// MetricsSnapshot, plain numbers an embedder can export in any format
// (nexusd serves them as Prometheus text, docs/OPERATIONS.md lists them).
//
// Counters only grow for the router's lifetime; gauges are the state at the
// moment of the snapshot. The router updates its counters on the hot path
// without locks (per-thread shards), so taking a snapshot costs a sum over
// the threads that ever routed plus one short lock per realm.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace nexus::router {

/// Upper bounds (seconds) of the call duration histogram's buckets; a last
/// bucket (+Inf) takes the rest.
inline constexpr std::array<double, 20> call_duration_bounds{
    0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
    0.05,     0.1,     0.25,   0.5,     1.0,    2.5,   5.0,    10.0,  30.0, 60.0};

/// How a call that reached a callee ended.
enum class CallOutcome : std::uint8_t {
    completed, // the final RESULT
    error,     // an ERROR from the callee (or a RESULT the caller cannot take)
    canceled,  // CANCEL, caller or callee gone, realm closed or router shut down
    timed_out, // the call's timeout option expired
};
inline constexpr std::size_t call_outcome_count = 4;

/// How a session ended (the realm's view).
enum class SessionEnding : std::uint8_t {
    goodbye, // the client said GOODBYE
    lost,    // transport lost, ABORT from the client, protocol violation
    killed,  // by the router: wamp.session.kill, the admin API, realm closed, shutdown
};
inline constexpr std::size_t session_ending_count = 3;

/// The network transports whose traffic is counted (MetricsSnapshot::bytes_*).
enum class NetTransport : std::uint8_t { websocket, rawsocket };
inline constexpr std::size_t net_transport_count = 2;

/// Why a network transport closed a connection on its own.
enum class TransportClose : std::uint8_t {
    write_timeout,     // the peer took no data for the write timeout
    idle_timeout,      // the peer sent nothing, not even a pong, for the idle timeout
    handshake_timeout, // the TLS, HTTP upgrade or RawSocket handshake took too long
};
inline constexpr std::size_t transport_close_count = 3;

/// Where a network transport counts its bytes and the connections it closed
/// on its own (MetricsSnapshot::bytes_*, transport_closes); from
/// Router::transport_meter(). Lock-free and thread-safe. It shares the
/// counters with the router rather than pointing at the Router, so that a
/// connection still winding down after its server stopped and its router
/// was destroyed may keep counting (into counters nobody reads any more).
class TransportMeter {
public:
    virtual ~TransportMeter() = default;
    virtual void transferred(std::uint64_t received, std::uint64_t sent) = 0;
    virtual void closed(TransportClose why) = 0;
};

struct RealmMetrics {
    std::string uri;
    /// Joined sessions by (transport type, serializer), e.g. ("websocket", "json").
    std::map<std::pair<std::string, std::string>, std::uint64_t> sessions_open;
    std::uint64_t sessions_opened = 0;
    std::array<std::uint64_t, session_ending_count> sessions_closed{}; // by SessionEnding
    std::uint64_t registrations = 0;
    std::uint64_t subscriptions = 0;
};

/// A router in a cluster (RouterConfig::cluster): its view of the others.
struct ClusterMetrics {
    bool connected = false; // to the bus, now
    std::size_t peers = 0;  // other live nodes it knows
    /// Messages to other nodes not sent: events dropped because the bus did
    /// not keep up (the same policy as a slow client), and messages the bus
    /// refused while disconnected.
    std::uint64_t dropped = 0;
};

struct MetricsSnapshot {
    /// Messages by WAMP message type code (index = code: 48 = CALL): received
    /// from peers, and sent (handed to the peer's transport).
    std::array<std::uint64_t, 71> messages_received{};
    std::array<std::uint64_t, 71> messages_sent{};

    /// PUBLISHes the broker accepted and routed (clients, testaments, the
    /// embedder's Router::publish); EVENTs queued to subscribers.
    std::uint64_t events_published = 0;
    std::uint64_t events_delivered = 0;

    /// CALLs routed to a callee; CALLs answered with an ERROR by the router
    /// before reaching one (no such procedure, invalid URI, limits, options).
    std::uint64_t calls_started = 0;
    std::uint64_t calls_refused = 0;
    std::array<std::uint64_t, call_outcome_count> calls_finished{}; // by CallOutcome
    /// Call durations as the router sees them (CALL routed to final answer),
    /// per bucket of call_duration_bounds (not cumulative) plus +Inf last.
    std::array<std::uint64_t, call_duration_bounds.size() + 1> call_duration_buckets{};
    double call_duration_sum_seconds = 0;
    std::uint64_t call_duration_count = 0;

    /// Outbound queues: EVENTs dropped under OverflowPolicy::drop_events,
    /// connections closed by the overflow policy, the deepest queue seen.
    std::uint64_t events_dropped = 0;
    std::uint64_t overflow_disconnects = 0;
    std::uint64_t queue_high_water = 0;

    /// Authentication failures by authmethod; ABORTs the router sent by reason.
    std::map<std::string, std::uint64_t> auth_failures;
    std::map<std::string, std::uint64_t> aborts;
    /// Connections a listener closed at accept because a cap was reached, by
    /// (listener, reason): the listener as a client would name it
    /// ("ws://127.0.0.1:8080", "tcp://...", "unix:///run/nexus.sock"), the
    /// reason "max_connections" or "max_connections_per_address".
    std::map<std::pair<std::string, std::string>, std::uint64_t> connections_refused;

    /// Bytes read from and written to network connections, by NetTransport:
    /// the transport's own bytes (HTTP upgrade, WebSocket frames, RawSocket
    /// handshake and frames, compressed where permessage-deflate is on), not
    /// TLS's records around them.
    std::array<std::uint64_t, net_transport_count> bytes_received{};
    std::array<std::uint64_t, net_transport_count> bytes_sent{};
    /// Connections a transport closed on its own, by NetTransport, then by
    /// TransportClose.
    std::array<std::array<std::uint64_t, transport_close_count>, net_transport_count>
        transport_closes{};

    std::vector<RealmMetrics> realms;

    /// Set when the router is a member of a cluster.
    std::optional<ClusterMetrics> cluster;
};

} // namespace nexus::router
