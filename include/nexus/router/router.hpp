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

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include <nexus/router/config.hpp>
#include <nexus/router/peer.hpp>

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

private:
    std::shared_ptr<RouterImpl> impl_;
};

} // namespace nexus::router
