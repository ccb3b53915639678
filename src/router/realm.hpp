// Realm: one routing domain — its sessions, broker and dealer, behind one lock.
//
// Every message of an established session enters through handle() and is
// routed with the realm's mutex held; the critical section only updates
// routing state and appends to peers' queues (no I/O, no encoding). Timers
// run their callbacks on the realm's strand, then take the same lock.
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/strand.hpp>

#include <nexus/router/config.hpp>
#include <nexus/router/introspection.hpp>
#include <nexus/router/metrics.hpp>
#include <nexus/wamp/expected.hpp>
#include <nexus/wamp/message.hpp>

#include "router/broker.hpp"
#include "router/cluster/node.hpp"
#include "router/cluster/port.hpp"
#include "router/dealer.hpp"
#include "router/internal_caller.hpp"
#include "router/metrics.hpp"
#include "router/realm_context.hpp"
#include "router/session.hpp"
#include "router/session_budget.hpp"
#include "router/uri_error.hpp"

namespace nexus::router {

class ConnectionImpl;

class Realm final : public RealmContext,
                    public cluster::RealmMember,
                    public std::enable_shared_from_this<Realm> {
public:
    /// `budget`: the router's session count and limit (none: the realm counts alone).
    /// `auth_secret`: keys what authentication derives to hide which authids
    /// exist (RouterConfig::auth_secret; empty: random).
    /// `metrics`: the router's counters (none: the realm keeps its own).
    /// `node`: the cluster the realm is served by (none: this router alone).
    /// `ids`: RouterConfig::id_generator (empty: random ids).
    Realm(RealmConfig config, boost::asio::any_io_executor executor, RouterLogger logger = {},
          std::shared_ptr<SessionBudget> budget = nullptr, const std::string& auth_secret = {},
          std::shared_ptr<RouterMetrics> metrics = nullptr,
          std::shared_ptr<cluster::Node> node = nullptr, std::function<wamp::Id()> ids = {});
    ~Realm() override;

    const std::string& uri() const { return config_.uri; }

    /// The realm's authenticator for `method`, or nullptr. Thread-safe
    /// (fixed at construction).
    std::shared_ptr<Authenticator> authenticator(std::string_view method) const;

    /// Cookie authentication (RealmConfig::cookie_auth). Thread-safe.
    void remember_cookie(const std::string& cookie, const Identity& identity);
    std::optional<Identity> identity_for_cookie(const std::string& cookie);

    enum class JoinResult { joined, closed, full, router_full, id_taken };
    /// Queues `welcome` to the session and adds it, unless the realm is closed,
    /// holds RealmConfig::max_sessions already, or the router holds
    /// RouterConfig::max_sessions.
    JoinResult join(std::shared_ptr<Session> session, std::weak_ptr<ConnectionImpl> connection,
                    OutgoingPtr welcome);
    /// How a session ended: what its testaments and meta events see
    /// (goodbye: "destroyed" testaments; lost: "detached", then "destroyed";
    /// killed: "destroyed").
    using Ending = SessionEnding;
    /// Removes a session. Idempotent.
    void leave(const std::shared_ptr<Session>& session, Ending ending);
    /// Routes a message of an established session. A Failure is a protocol
    /// violation: the caller aborts the session.
    wamp::Status handle(const std::shared_ptr<Session>& session, wamp::Message&& message);

    /// A message the session's transport could not send (Connection::undeliverable).
    void undeliverable(const std::shared_ptr<Session>& session, const wamp::Message& message,
                       Undeliverable why);

    /// Says GOODBYE with `reason` to every session, fails pending calls, and
    /// refuses further joins.
    void close(std::string_view reason, std::string_view message);

    std::size_t session_count() const;

    // Introspection (realm_introspection.cpp): copies taken under the lock.
    RealmSummary summary() const;
    /// Fills the realm's part of `out` (session counts, registrations, subscriptions).
    void read_metrics(RealmMetrics& out) const;
    SessionPage sessions(std::size_t offset, std::size_t limit) const;
    std::vector<RegistrationSummary> registrations() const;
    std::vector<SubscriptionSummary> subscriptions() const;
    /// Ends session `id` with GOODBYE `reason`; false if it is not in this realm.
    bool kill(wamp::Id id, std::string_view reason, std::string_view message);
    /// Publishes as the router itself (no session of the realm is the
    /// publisher); the publication id, or the ERROR's URI and message.
    wamp::Expected<wamp::Id> publish(wamp::Publish publish);

    // RealmContext (called with mutex_ held)
    const RealmConfig& config() const override { return config_; }
    wamp::Id new_id() override { return ids_ ? ids_() : wamp::random_id(); }
    Session* find_session(wamp::Id id) override;
    std::unique_ptr<Timer> run_locked_after(std::chrono::milliseconds delay,
                                            std::function<void()> callback) override;
    void publish_meta(std::string_view topic, const std::function<wamp::Array()>& args,
                      wamp::Id cause = 0) override;
    bool may_request_disclosure(const Session& session) const override;
    std::optional<std::int64_t> trustlevel(const Session& session) const override;
    RouterMetrics& metrics() override { return *metrics_; }
    cluster::Port* cluster() override { return port_.get(); }
    void claim(const std::string& key, std::string_view invoke) override;
    void release(const std::string& key) override;
    void defer(const std::string& key) override { deferred_ = key; }

    // cluster::RealmMember (realm_cluster.cpp)
    void cluster_change(const cluster::NodeRef& node, const wamp::Array& change) override;
    void cluster_replace(const cluster::NodeRef& node, const wamp::Array& state) override;
    wamp::Array cluster_snapshot() override;
    void cluster_node_gone(const cluster::NodeRef& node, bool elected) override;
    void cluster_message(const cluster::NodeRef& node, cluster::Envelope&& envelope) override;
    void cluster_reconnected() override;
    void cluster_probe(std::chrono::steady_clock::time_point sent_before) override;

    /// Sessions of other nodes (their proxies), for the meta API; lock held.
    struct RemoteMember {
        std::shared_ptr<Session> session;
        std::set<std::pair<wamp::MatchPolicy, std::string>> subscriptions, registrations;
    };
    const std::unordered_map<wamp::Id, RemoteMember>& remote_members_locked() const {
        return remote_members_;
    }
    /// A session of this realm, here or on another node; nullptr if none.
    Session* any_session_locked(wamp::Id id);
    /// Applies a validated wamp.session.modify_details delta to a session of
    /// this node, and tells the cluster.
    void apply_modification_locked(Session& target, const wamp::Object& delta);

    // For the meta procedures (meta/*.cpp): called with the lock held.
    struct Member {
        std::shared_ptr<Session> session;
        std::weak_ptr<ConnectionImpl> connection;
    };
    const std::unordered_map<wamp::Id, Member>& members_locked() const { return members_; }
    Broker& broker_locked() { return broker_; }
    Dealer& dealer_locked() { return dealer_; }
    /// What the rest of the realm hears of sessions killed.
    enum class KillNotice {
        announced, // testaments and wamp.session.on_leave, as for any ending
        silent,    // neither (wamp.session.kill_all: nobody is left to hear them)
    };
    /// Removes the sessions and tells their connections GOODBYE `reason`;
    /// answers how many there were.
    std::size_t kill_locked(const std::vector<wamp::Id>& ids, std::string_view reason,
                            std::string_view message, KillNotice notice);
    /// kill_locked() for sessions of any node: those of others are asked to
    /// their nodes (answers how many were found).
    std::size_t kill_anywhere_locked(const std::vector<wamp::Id>& ids, std::string_view reason,
                                     std::string_view message, KillNotice notice);
    /// The meta API's description of a session (wamp.session.get, on_join).
    wamp::Value describe(const Session& s) const;
    /// The realm's authorizer, else its roles, else "allowed".
    Authorization authorize(const Session& s, Action action, std::string_view uri,
                            const wamp::Object& options);
    /// Whether a session may hold `authrole` here: any, unless the realm
    /// defines roles (and no custom authorizer), then one of them.
    bool accepts_authrole(const std::string& authrole) const;
    /// Gives a joined session another authrole (wamp.session.modify_details).
    void change_authrole_locked(Session& session, std::string authrole);

private:
    wamp::Status check_request_id(Session& session, const wamp::Message& message);
    /// Routes `message` once every decision it needs is at hand; otherwise
    /// parks it in front of the session's waiting messages and asks the
    /// role's authorizer (dynamic_authorizer.hpp).
    wamp::Status dispatch(const std::shared_ptr<Session>& session, wamp::Message&& message);
    /// route(), parking the message when the dealer deferred it (defer()).
    wamp::Status route_or_defer(const std::shared_ptr<Session>& session, wamp::Message&& message);
    /// Routes the session's parked messages now that it no longer waits; the
    /// connection to fail (and why) when one of them was a protocol violation.
    std::shared_ptr<ConnectionImpl> resume_locked(const std::shared_ptr<Session>& session,
                                                  std::string& violation);
    /// Routes a message to the broker, dealer or meta API.
    wamp::Status route(Session& s, wamp::Message&& message);
    void ask_authorizer(const std::shared_ptr<Session>& session, const RolePermissions& role,
                        AuthorizationNeed need);
    /// Without the lock (on the internal caller's strand).
    void on_authorizer_answer(const std::shared_ptr<Session>& session,
                              const AuthorizationNeed& need, const wamp::Message& reply);
    const RolePermissions* find_role(const std::string& authrole) const;
    /// authorize(), answering a denial with ERROR wamp.error.not_authorized.
    bool authorized(Session& s, Action action, std::string_view uri, const wamp::Object& options,
                    wamp::MessageType request_type, wamp::Id request);
    void deny(Session& s, wamp::MessageType request_type, wamp::Id request, Action action,
              std::string_view uri);
    /// Answers a CALL to one of the router's own wamp.* procedures (meta_api.cpp);
    /// false if `procedure` is not one of them.
    bool meta_call(Session& caller, wamp::Call& call);
    /// Removes a session; `notice` silent: without testaments and on_leave.
    void remove_locked(Session& session, Ending ending, KillNotice notice = KillNotice::announced);
    void publish_testaments(Session& session, int scope);

    /// Calls a procedure of this realm as the router (see internal_caller.hpp).
    void call_internal(const std::string& procedure, wamp::Array args,
                       std::chrono::milliseconds timeout,
                       std::function<void(const wamp::Message&)> done);
    void call_internal_locked(const std::string& procedure, wamp::Array args,
                              std::chrono::milliseconds timeout,
                              std::function<void(const wamp::Message&)> done);

    // realm_cluster.cpp
    wamp::Array join_announcement(const Session& s) const;
    void apply_change_locked(const cluster::NodeRef& node, const wamp::Array& change);
    void remote_join_locked(const cluster::NodeRef& node, const wamp::Array& change);
    void remote_leave_locked(wamp::Id id, bool announce);
    void cluster_message_locked(const cluster::NodeRef& node, cluster::Envelope& e);
    /// One step of the shared store's work for `key`, the next when it ends.
    void store_claim(const std::string& key, const std::string& invoke, bool reassert);
    void store_release(const std::string& key, const std::string& node);
    void store_next(const std::string& key);
    void claim_settled(const std::string& key, std::optional<UriError> refusal, bool reassert);
    std::string store_bucket() const;
    static std::string store_key(std::string_view realm, std::string_view key);

    const RealmConfig config_;
    const RouterLogger logger_;
    const std::function<wamp::Id()> ids_; // before the members that take ids at construction
    const std::shared_ptr<SessionBudget> budget_;
    const std::shared_ptr<RouterMetrics> metrics_;
    std::unordered_map<std::string, const RolePermissions*> roles_by_name_;
    std::unique_ptr<InternalCaller> internal_;
    struct CookieEntry {
        Identity identity;
        std::chrono::steady_clock::time_point expires;
    };
    std::mutex cookies_mutex_;
    std::unordered_map<std::string, CookieEntry> cookies_;
    std::map<std::string, std::shared_ptr<Authenticator>, std::less<>> authenticators_;
    boost::asio::strand<boost::asio::any_io_executor> strand_;
    mutable std::mutex mutex_;
    std::unordered_map<wamp::Id, Member> members_;
    RealmStats stats_; // guarded by mutex_
    bool closed_ = false;
    // The cluster (docs/CLUSTER.md); the port outlives the proxies below.
    const std::shared_ptr<cluster::Node> node_;
    std::unique_ptr<cluster::Port> port_;
    std::unordered_map<wamp::Id, RemoteMember> remote_members_; // guarded by mutex_
    std::optional<std::string> deferred_;                       // set by defer() while routing
    std::map<std::string, std::vector<std::weak_ptr<Session>>> waiting_on_claim_;
    // The shared store's work per key, one operation at a time, in order
    // (guarded by mutex_).
    struct StoreOp {
        bool claim = false;
        bool reassert = false;
        std::string invoke; // of a claim
        std::string node;   // whose membership a release removes
    };
    std::map<std::string, std::deque<StoreOp>> store_ops_;
    // Declared last: destroyed first, while the session table still exists.
    Broker broker_;
    Dealer dealer_;
};

} // namespace nexus::router
