// RouterImpl: the realms, and the opening of sessions (HELLO -> WELCOME/ABORT).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <variant>

#include <boost/asio/any_io_executor.hpp>

#include <nexus/router/auth.hpp>
#include <nexus/router/config.hpp>
#include <nexus/router/peer.hpp>
#include <nexus/wamp/message.hpp>

#include "router/auth/throttle.hpp"
#include "router/cluster/node.hpp"
#include "router/metrics.hpp"
#include "router/session_budget.hpp"

namespace nexus::router {

class ConnectionImpl;
class Realm;
class Session;

class RouterImpl : public std::enable_shared_from_this<RouterImpl> {
public:
    RouterImpl(boost::asio::any_io_executor executor, RouterConfig config);

    struct Opened {
        std::shared_ptr<Realm> realm;
        std::shared_ptr<Session> session;
        OutgoingPtr welcome; // the roles spliced in (SharedDetail)
    };
    /// The HELLO needs an authentication exchange with `authenticator`.
    struct Authenticating {
        std::shared_ptr<Realm> realm;
        std::shared_ptr<Authenticator> authenticator;
        AuthRequest request;
    };
    /// Finds the realm and picks the authentication method for `hello`: the
    /// session to join (anonymous: not yet joined) with its WELCOME, an
    /// authentication to run, or the ABORT to send.
    std::variant<Opened, Authenticating, wamp::Abort>
    open_session(const std::shared_ptr<ConnectionImpl>& conn, wamp::Hello&& hello);

    /// The session to join once authentication gave `identity`, or the ABORT
    /// (e.g. an authrole the realm does not know).
    std::variant<Opened, wamp::Abort> admit(const std::shared_ptr<ConnectionImpl>& conn,
                                            std::shared_ptr<Realm> realm, AuthRequest request,
                                            Identity identity);

    boost::asio::any_io_executor executor() const { return executor_; }
    void log(RouterLogLevel level, std::string_view message) const {
        if (config_.logger) config_.logger(level, message);
    }

    bool add_realm(RealmConfig realm);
    bool remove_realm(const std::string& uri);
    std::vector<std::string> realm_uris() const;
    void shutdown();
    /// Joins the cluster (RouterConfig::cluster), once the router is shared.
    void start_cluster();
    std::size_t session_count() const;

    const RouterConfig& config() const { return config_; }
    AuthThrottle& throttle() { return throttle_; }
    /// RouterConfig::auth_secret, or a random one made at construction.
    const std::string& auth_secret() const { return auth_secret_; }
    const std::shared_ptr<RouterMetrics>& metrics() const { return metrics_; }
    /// The realm named `uri`, without creating it from the template; null if none.
    std::shared_ptr<Realm> existing_realm(std::string_view uri) const;
    std::vector<std::shared_ptr<Realm>> realm_list() const;
    /// This router's membership in a cluster; null when it runs alone.
    const std::shared_ptr<cluster::Node>& cluster_node() const { return node_; }

private:
    std::shared_ptr<Realm> find_realm(const std::string& uri);
    std::shared_ptr<Realm> make_realm(RealmConfig realm);

    boost::asio::any_io_executor executor_;
    const RouterConfig config_;
    const std::string auth_secret_;
    const std::shared_ptr<SessionBudget> sessions_;
    AuthThrottle throttle_;
    const std::shared_ptr<RouterMetrics> metrics_ = std::make_shared<RouterMetrics>();
    const std::shared_ptr<cluster::Node> node_;
    mutable std::mutex mutex_;
    std::map<std::string, std::shared_ptr<Realm>, std::less<>> realms_;
    bool shut_down_ = false;
};

} // namespace nexus::router
