// nexus::router::Router — an embeddable WAMP router.
//
//   boost::asio::io_context io;
//   nexus::router::Router router(io.get_executor(), config);
//   auto conn = router.attach(my_peer, {"local"});   // one per connection
//
// The router is transport-agnostic: transports attach Peers (see peer.hpp),
// the in-process transport (nexus/transport/local.hpp) pairs it with a client
// in the same program. Thread model: see docs/ARCHITECTURE.md.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include <nexus/router/config.hpp>
#include <nexus/router/introspection.hpp>
#include <nexus/router/metrics.hpp>
#include <nexus/router/peer.hpp>
#include <nexus/wamp/expected.hpp>
#include <nexus/wamp/message.hpp>

namespace nexus::router {

class RouterImpl;

class Router {
public:
    /// `executor` runs the router's timers (call timeouts); it may have any
    /// number of threads.
    Router(boost::asio::any_io_executor executor, RouterConfig config);
    ~Router();
    Router(const Router&) = delete;
    Router& operator=(const Router&) = delete;

    /// A new transport connection. Keep the returned Connection as long as
    /// the transport lives; call Connection::disconnected() when it goes away.
    /// `out_queue_size`: this connection's outbound queue bound (messages)
    /// instead of RouterConfig::out_queue_size; 0 = that one.
    std::unique_ptr<Connection> attach(std::shared_ptr<Peer> peer, TransportInfo transport,
                                       std::size_t out_queue_size = 0);

    /// Adds a realm; false if one with that uri exists.
    bool add_realm(RealmConfig realm);
    /// Closes a realm: its sessions get GOODBYE wamp.close.close_realm.
    bool remove_realm(const std::string& uri);
    std::vector<std::string> realms() const;

    /// Sends GOODBYE wamp.close.system_shutdown to every session, fails their
    /// pending calls and refuses new HELLOs. Idempotent.
    void shutdown();

    /// Sessions currently joined, over all realms.
    std::size_t session_count() const;

    /// Writes a line to RouterConfig::logger, if one is set: for the
    /// transports serving this router (accept failures, ...).
    void log(RouterLogLevel level, std::string_view message) const;
    /// Counts a connection that `listener` closed at accept because of a cap
    /// (`reason`), for MetricsSnapshot::connections_refused.
    void connection_refused(std::string_view listener, std::string_view reason);
    /// Where a network transport of kind `transport` counts its bytes and
    /// its own closes (metrics.hpp); cheap to use per read and write.
    std::shared_ptr<TransportMeter> transport_meter(NetTransport transport);

    // Monitoring and administration. Thread-safe; each call copies what it
    // returns under the realm's lock and does nothing else there, so it can
    // be called while the router routes.

    /// The router's counters and per-realm figures.
    MetricsSnapshot metrics() const;
    /// Every realm with its counts, by uri.
    std::vector<RealmSummary> realm_summaries() const;
    /// The joined sessions of `realm`, oldest first, from the `offset`th on and
    /// at most `limit` of them (only those are described: a page of a large
    /// realm costs little); its registrations and subscriptions. nullopt if
    /// there is no such realm.
    std::optional<SessionPage> sessions(std::string_view realm, std::size_t offset = 0,
                                        std::size_t limit = SIZE_MAX) const;
    std::optional<std::vector<RegistrationSummary>> registrations(std::string_view realm) const;
    std::optional<std::vector<SubscriptionSummary>> subscriptions(std::string_view realm) const;

    enum class KillResult { killed, no_such_realm, no_such_session };
    /// Ends a session as wamp.session.kill does: GOODBYE with `reason` (a URI)
    /// and `message` in its details.
    KillResult kill_session(std::string_view realm, wamp::Id session, std::string_view reason,
                            std::string_view message);
    /// Publishes `publish` (topic, options, payload; its request id is
    /// ignored) in `realm` as the router itself, as if acknowledged: the
    /// publication id, or why the broker refused it (an error URI, ": " and
    /// the reason), wamp.error.no_such_realm without such a realm.
    wamp::Expected<wamp::Id> publish(std::string_view realm, wamp::Publish publish);

private:
    std::shared_ptr<RouterImpl> impl_;
};

} // namespace nexus::router
