// Realm: one routing domain — its sessions, broker and dealer, behind one lock.
//
// Every message of an established session enters through handle() and is
// routed with the realm's mutex held; the critical section only updates
// routing state and appends to peers' queues (no I/O, no encoding). Timers
// run their callbacks on the realm's strand, then take the same lock.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
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
#include "router/dealer.hpp"
#include "router/internal_caller.hpp"
#include "router/metrics.hpp"
#include "router/realm_context.hpp"
#include "router/session.hpp"
#include "router/session_budget.hpp"

namespace nexus::router {

class ConnectionImpl;

class Realm final : public RealmContext, public std::enable_shared_from_this<Realm> {
public:
    /// `budget`: the router's session count and limit (none: the realm counts alone).
    /// `auth_secret`: keys what authentication derives to hide which authids
    /// exist (RouterConfig::auth_secret; empty: random).
    /// `metrics`: the router's counters (none: the realm keeps its own).
    Realm(RealmConfig config, boost::asio::any_io_executor executor, RouterLogger logger = {},
          std::shared_ptr<SessionBudget> budget = nullptr, const std::string& auth_secret = {},
          std::shared_ptr<RouterMetrics> metrics = nullptr);
    ~Realm() override;

    const std::string& uri() const { return config_.uri; }

    /// The realm's authenticator for `method`, or nullptr. Thread-safe
    /// (fixed at construction).
    std::shared_ptr<Authenticator> authenticator(std::string_view method) const;

    /// Cookie authentication (RealmConfig::cookie_auth). Thread-safe.
    void remember_cookie(const std::string& cookie, const Identity& identity);
    std::optional<Identity> identity_for_cookie(const std::string& cookie);

    enum class JoinResult { joined, closed, full, router_full };
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
    Session* find_session(wamp::Id id) override;
    std::unique_ptr<Timer> run_locked_after(std::chrono::milliseconds delay,
                                            std::function<void()> callback) override;
    void publish_meta(std::string_view topic, const std::function<wamp::Array()>& args,
                      wamp::Id cause = 0) override;
    bool may_request_disclosure(const Session& session) const override;
    std::optional<std::int64_t> trustlevel(const Session& session) const override;
    RouterMetrics& metrics() override { return *metrics_; }

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

    const RealmConfig config_;
    const RouterLogger logger_;
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
    // Declared last: destroyed first, while the session table still exists.
    Broker broker_;
    Dealer dealer_;
};

} // namespace nexus::router
