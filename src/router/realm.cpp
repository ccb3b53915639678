#include "router/realm.hpp"

#include <atomic>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <nexus/wamp/uri.hpp>
#include <nexus/wamp/uris.hpp>

#include "router/auth/dynamic_authenticator.hpp"
#include "router/connection.hpp"

namespace nexus::router {

namespace {

// A timer whose callback runs on the realm's strand and then under the realm
// lock. Cancelling sets a flag checked under that lock, so a callback that
// was already due cannot run after cancel() returned to a lock holder.
class StrandTimer final : public Timer {
public:
    struct State {
        explicit State(boost::asio::strand<boost::asio::any_io_executor>& strand) : timer(strand) {}
        boost::asio::steady_timer timer;
        std::atomic<bool> cancelled{false};
        std::function<void()> callback;
    };

    explicit StrandTimer(std::shared_ptr<State> state, boost::asio::any_io_executor strand)
        : state_(std::move(state)), strand_(std::move(strand)) {}
    ~StrandTimer() override { cancel(); }

    void cancel() override {
        if (state_->cancelled.exchange(true)) return;
        // steady_timer is not thread-safe: cancel it on the strand that owns it.
        boost::asio::post(strand_, [state = state_] { state->timer.cancel(); });
    }

private:
    std::shared_ptr<State> state_;
    boost::asio::any_io_executor strand_;
};

} // namespace

Realm::Realm(RealmConfig config, boost::asio::any_io_executor executor, RouterLogger logger,
             std::shared_ptr<SessionBudget> budget, const std::string& auth_secret,
             std::shared_ptr<RouterMetrics> metrics, std::shared_ptr<cluster::Node> node,
             std::function<wamp::Id()> ids)
    : config_(std::move(config)), logger_(std::move(logger)), ids_(std::move(ids)),
      budget_(budget ? std::move(budget) : std::make_shared<SessionBudget>(0)),
      metrics_(metrics ? std::move(metrics) : std::make_shared<RouterMetrics>()),
      internal_(std::make_unique<InternalCaller>(config_.uri, executor, new_id())),
      strand_(boost::asio::make_strand(executor)), node_(std::move(node)),
      port_(node_ ? std::make_unique<cluster::Port>(*node_, config_.uri) : nullptr), broker_(*this),
      dealer_(*this) {
    for (const RolePermissions& role : config_.roles)
        roles_by_name_.emplace(role.role, &role);
    for (const auto& a : config_.authenticators)
        if (a) authenticators_.emplace(std::string(a->method()), a);
    if (config_.dynamic_authenticator) {
        // Attempts only run while their connection holds this realm, so `this` outlives them.
        ProcedureCaller call = [this](const std::string& procedure, wamp::Array args,
                                      std::chrono::milliseconds timeout,
                                      std::function<void(const wamp::Message&)> done) {
            call_internal(procedure, std::move(args), timeout, std::move(done));
        };
        for (const std::string& method : config_.dynamic_authenticator->methods)
            authenticators_.emplace(
                method, make_dynamic_authenticator(method, *config_.dynamic_authenticator, call,
                                                   auth_secret));
    }
    // emplace keeps an embedder's authenticator over the built-in one.
    for (auto&& a :
         {make_ticket_authenticator(config_.principals),
          make_wampcra_authenticator(config_.principals, auth_secret),
          make_cryptosign_authenticator(config_.principals),
          make_scram_authenticator(config_.principals, ScramDialect::wamp_scram, auth_secret),
          make_scram_authenticator(config_.principals, ScramDialect::crossbar, auth_secret),
          make_tls_authenticator(config_.principals, config_.tls_authrole)})
        if (a) authenticators_.emplace(std::string(a->method()), a);
}

void Realm::remember_cookie(const std::string& cookie, const Identity& identity) {
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(cookies_mutex_);
    // Bounded: expired entries go first; beyond the cap the store is cleared
    // rather than grown (those browsers authenticate again).
    constexpr std::size_t cap = 100'000;
    if (cookies_.size() >= cap)
        std::erase_if(cookies_, [&](auto& e) { return e.second.expires <= now; });
    if (cookies_.size() >= cap) cookies_.clear();
    Identity remembered = identity;
    remembered.authmethod = "cookie";
    if (port_)
        port_->announce(wamp::Array{
            wamp::Value(std::string(cluster::change::cookie)), wamp::Value(cookie),
            wamp::Value(wamp::Array{
                wamp::Value(remembered.authid), wamp::Value(remembered.authrole),
                wamp::Value(remembered.authmethod), wamp::Value(remembered.authprovider)}),
            wamp::Value(static_cast<std::uint64_t>(
                std::chrono::duration_cast<std::chrono::seconds>(config_.cookie_max_age)
                    .count()))});
    cookies_.insert_or_assign(cookie,
                              CookieEntry{std::move(remembered), now + config_.cookie_max_age});
}

std::optional<Identity> Realm::identity_for_cookie(const std::string& cookie) {
    std::lock_guard lock(cookies_mutex_);
    auto it = cookies_.find(cookie);
    if (it == cookies_.end()) return std::nullopt;
    if (it->second.expires <= std::chrono::steady_clock::now()) {
        cookies_.erase(it);
        return std::nullopt;
    }
    return it->second.identity;
}

std::shared_ptr<Authenticator> Realm::authenticator(std::string_view method) const {
    auto it = authenticators_.find(method);
    return it == authenticators_.end() ? nullptr : it->second;
}

Realm::~Realm() = default;

Realm::JoinResult Realm::join(std::shared_ptr<Session> session,
                              std::weak_ptr<ConnectionImpl> connection, OutgoingPtr welcome) {
    std::lock_guard lock(mutex_);
    if (closed_) return JoinResult::closed;
    if (config_.max_sessions != 0 && members_.size() >= config_.max_sessions)
        return JoinResult::full;
    // Random ids of 53 bits: another node's session holding this one is as
    // likely as two random ids colliding, but it must not be joined twice.
    if (remote_members_.contains(session->id)) return JoinResult::id_taken;
    if (!budget_->take()) return JoinResult::router_full;
    session->role = find_role(session->authrole);
    session->joined_at = std::chrono::system_clock::now();
    stats_.joined(session->transport.type, session->transport.protocol);
    session->send(std::move(welcome));
    const wamp::Id id = session->id;
    const Session& joined = *session;
    members_.insert_or_assign(id, Member{std::move(session), std::move(connection)});
    if (port_) port_->announce(join_announcement(joined));
    publish_meta("wamp.session.on_join", [&] { return wamp::Array{describe(joined)}; });
    return JoinResult::joined;
}

void Realm::publish_testaments(Session& session, int scope) {
    for (Session::Testament& t : session.testaments[scope]) {
        wamp::Publish publish;
        publish.topic = std::move(t.topic);
        publish.options = std::move(t.options);
        publish.payload = std::move(t.payload);
        // Published as the session itself (its disclosure and black/white
        // lists apply); any error goes to a session that no longer listens.
        (void)broker_.publish(session, std::move(publish));
    }
    session.testaments[scope].clear();
}

void Realm::remove_locked(Session& session, Ending ending, KillNotice notice) {
    const bool announced = notice == KillNotice::announced;
    // Testaments go out exactly once: each bucket is emptied as it is published.
    if (announced && ending == Ending::lost) publish_testaments(session, 0);
    if (announced) publish_testaments(session, 1);
    broker_.remove_session(session);
    dealer_.remove_session(session);
    stats_.left(session.transport.type, session.transport.protocol, ending);
    const wamp::Id id = session.id;
    const std::string authid = session.authid, authrole = session.authrole;
    members_.erase(id); // may destroy `session`
    budget_->give_back();
    if (port_)
        port_->announce(
            wamp::Array{wamp::Value(std::string(cluster::change::leave)), wamp::Value(id)});
    if (announced)
        publish_meta("wamp.session.on_leave", [&] {
            return wamp::Array{wamp::Value(id), wamp::Value(authid), wamp::Value(authrole)};
        });
}

void Realm::leave(const std::shared_ptr<Session>& session, Ending ending) {
    std::lock_guard lock(mutex_);
    auto it = members_.find(session->id);
    if (it == members_.end() || it->second.session != session) return;
    remove_locked(*session, ending);
}

std::size_t Realm::kill_locked(const std::vector<wamp::Id>& ids, std::string_view reason,
                               std::string_view message, KillNotice notice) {
    std::size_t killed = 0;
    for (wamp::Id id : ids) {
        auto it = members_.find(id);
        if (it == members_.end()) continue;
        Member member = it->second; // keeps the session alive through removal
        remove_locked(*member.session, Ending::killed, notice);
        if (auto conn = member.connection.lock()) conn->say_goodbye(reason, message);
        ++killed;
    }
    return killed;
}

void Realm::call_internal(const std::string& procedure, wamp::Array args,
                          std::chrono::milliseconds timeout,
                          std::function<void(const wamp::Message&)> done) {
    std::lock_guard lock(mutex_);
    call_internal_locked(procedure, std::move(args), timeout, std::move(done));
}

void Realm::call_internal_locked(const std::string& procedure, wamp::Array args,
                                 std::chrono::milliseconds timeout,
                                 std::function<void(const wamp::Message&)> done) {
    wamp::Call call;
    call.request = internal_->expect_answer(std::move(done));
    call.procedure = procedure;
    call.options = {{"timeout", static_cast<std::uint64_t>(timeout.count())}};
    call.payload = wamp::Payload(std::move(args));
    if (closed_) {
        // Answer as the dealer would: nobody can be reached in a closed realm.
        wamp::Error e;
        e.request_type = wamp::MessageType::call;
        e.request = call.request;
        e.error = std::string(wamp::errors::canceled);
        internal_->session().send(std::move(e));
        return;
    }
    (void)dealer_.call(internal_->session(), std::move(call));
}

void Realm::publish_meta(std::string_view topic, const std::function<wamp::Array()>& args,
                         wamp::Id cause) {
    broker_.publish_meta(topic, args, cause);
}

bool Realm::may_request_disclosure(const Session& session) const {
    return config_.allow_disclose || (session.role && session.role->allow_disclose) ||
           session.authrole == "trusted";
}

std::optional<std::int64_t> Realm::trustlevel(const Session& session) const {
    const TrustLevels& t = config_.trustlevels;
    if (auto it = t.by_authrole.find(session.authrole); it != t.by_authrole.end())
        return it->second;
    if (auto it = t.by_authmethod.find(session.authmethod); it != t.by_authmethod.end())
        return it->second;
    return t.default_level;
}

bool Realm::accepts_authrole(const std::string& authrole) const {
    return config_.authorizer || config_.roles.empty() || find_role(authrole) != nullptr;
}

void Realm::change_authrole_locked(Session& session, std::string authrole) {
    session.authrole = std::move(authrole);
    session.role = find_role(session.authrole);
    // Decisions cached for the old role do not hold for the new one.
    if (session.dynamic_authorization) session.dynamic_authorization->forget_cached();
}

wamp::Status Realm::check_request_id(Session& session, const wamp::Message& message) {
    wamp::Id id = 0;
    bool is_call = false;
    std::visit(
        [&](const auto& m) {
            using M = std::decay_t<decltype(m)>;
            if constexpr (std::is_same_v<M, wamp::Subscribe> ||
                          std::is_same_v<M, wamp::Unsubscribe> ||
                          std::is_same_v<M, wamp::Publish> || std::is_same_v<M, wamp::Register> ||
                          std::is_same_v<M, wamp::Unregister>) {
                id = m.request;
            } else if constexpr (std::is_same_v<M, wamp::Call>) {
                id = m.request;
                is_call = true;
            }
        },
        message);
    if (id == 0) return {};
    const wamp::Id expected =
        session.request_watermark >= wamp::max_id ? 1 : session.request_watermark + 1;
    if (id == expected) {
        session.request_watermark = id;
        return {};
    }
    // A CALL at or below the watermark may continue a progressive call; the
    // dealer decides whether it does (spec rpc_progressive_call_invocations.md).
    if (is_call && id < expected) return {};
    return wamp::Failure{"request id " + std::to_string(id) + " breaks the sequence (expected " +
                         std::to_string(expected) + ")"};
}

wamp::Status Realm::handle(const std::shared_ptr<Session>& session, wamp::Message&& message) {
    std::lock_guard lock(mutex_);
    auto it = members_.find(session->id);
    // The session may have been removed a moment ago (kill, shutdown): drop.
    if (it == members_.end() || it->second.session != session) return {};
    Session& s = *session;
    if (config_.strict_request_ids) {
        if (auto status = check_request_id(s, message); !status) return status;
    }
    if (bypasses_authorization_wait(message)) return route(s, std::move(message));
    if (!s.parked.empty()) {
        // An earlier message waits for an answer: this one waits its turn.
        if (s.parked.size() >= Session::max_parked)
            return wamp::Failure{"more than " + std::to_string(Session::max_parked) +
                                 " messages waiting for an authorization or a cluster answer"};
        s.parked.push_back(std::move(message));
        return {};
    }
    return dispatch(session, std::move(message));
}

std::shared_ptr<ConnectionImpl> Realm::resume_locked(const std::shared_ptr<Session>& session,
                                                     std::string& violation) {
    Session& s = *session;
    // Route what waited, in order, until one needs another answer.
    while (!s.parked.empty() && !s.waiting) {
        wamp::Message next = std::move(s.parked.front());
        s.parked.pop_front();
        auto status = dispatch(session, std::move(next));
        // A message may have ended its own session (meta API).
        auto it = members_.find(s.id);
        if (it == members_.end() || it->second.session != session) return nullptr;
        if (!status) {
            violation = status.error().message;
            return it->second.connection.lock();
        }
    }
    return nullptr;
}

wamp::Status Realm::dispatch(const std::shared_ptr<Session>& session, wamp::Message&& message) {
    Session& s = *session;
    const RolePermissions* role = config_.authorizer ? nullptr : s.role;
    if (!role || role->authorizer.empty()) return route_or_defer(session, std::move(message));
    if (!s.dynamic_authorization)
        s.dynamic_authorization = std::make_unique<DynamicAuthorizationState>();
    DynamicAuthorizationState& d = *s.dynamic_authorization;
    const auto now = std::chrono::steady_clock::now();
    for (AuthorizationNeed& need : authorization_needs(message)) {
        if (auto decided = d.find(need, now)) {
            if (!decided->allowed) break; // refused anyway: no need to ask the rest
            continue;
        }
        s.parked.push_front(std::move(message));
        s.waiting = true;
        ask_authorizer(session, *role, std::move(need));
        return {};
    }
    auto status = route_or_defer(session, std::move(message));
    // A deferred message is routed again later: its decisions must still be there.
    if (!s.waiting) d.routed();
    return status;
}

wamp::Status Realm::route_or_defer(const std::shared_ptr<Session>& session,
                                   wamp::Message&& message) {
    auto status = route(*session, std::move(message));
    if (deferred_) {
        // The dealer needs the cluster's answer first (defer()): the message,
        // which it left untouched, waits at the front with the later ones.
        session->parked.push_front(std::move(message));
        session->waiting = true;
        waiting_on_claim_[*deferred_].push_back(session);
        deferred_.reset();
    }
    return status;
}

void Realm::ask_authorizer(const std::shared_ptr<Session>& session, const RolePermissions& role,
                           AuthorizationNeed need) {
    const SessionIdentity who{session->id,       config_.uri,         session->authid,
                              session->authrole, session->authmethod, session->authprovider};
    wamp::Array args = authorizer_arguments(who, need);
    call_internal_locked(role.authorizer, std::move(args), config_.authorizer_timeout,
                         [realm = weak_from_this(), weak = std::weak_ptr<Session>(session),
                          need = std::move(need)](const wamp::Message& reply) {
                             auto self = realm.lock();
                             auto s = weak.lock();
                             if (self && s) self->on_authorizer_answer(s, need, reply);
                         });
}

void Realm::on_authorizer_answer(const std::shared_ptr<Session>& session,
                                 const AuthorizationNeed& need, const wamp::Message& reply) {
    const AuthorizerAnswer answer = read_authorizer_answer(reply);
    if (!answer.problem.empty() && logger_)
        logger_(RouterLogLevel::warning,
                "realm " + config_.uri + ": the authorizer of authrole \"" + session->authrole +
                    "\" gave no decision (" + answer.problem + "); denied " +
                    std::string(action_name(need.action)) + " \"" + need.uri + "\" to session " +
                    std::to_string(session->id));
    std::shared_ptr<ConnectionImpl> violator;
    std::string violation;
    {
        std::lock_guard lock(mutex_);
        auto it = members_.find(session->id);
        if (it == members_.end() || it->second.session != session) return;
        DynamicAuthorizationState& d = *session->dynamic_authorization;
        session->waiting = false;
        const auto ttl = answer.cache
                             ? std::chrono::steady_clock::duration(config_.authorizer_cache_ttl)
                             : std::chrono::steady_clock::duration::zero();
        d.decide(need, answer.authorization, ttl, std::chrono::steady_clock::now());
        violator = resume_locked(session, violation);
    }
    // Ending the session takes the realm lock again.
    if (violator) violator->fail(std::move(violation));
}

const RolePermissions* Realm::find_role(const std::string& authrole) const {
    auto it = roles_by_name_.find(authrole);
    return it == roles_by_name_.end() ? nullptr : it->second;
}

wamp::Status Realm::route(Session& s, wamp::Message&& message) {
    return std::visit(
        [&](auto&& m) -> wamp::Status {
            using M = std::decay_t<decltype(m)>;
            if constexpr (std::is_same_v<M, wamp::Subscribe>) {
                if (!authorized(s, Action::subscribe, m.topic, m.options, M::type, m.request))
                    return {};
                return broker_.subscribe(s, std::move(m));
            } else if constexpr (std::is_same_v<M, wamp::Unsubscribe>) {
                return broker_.unsubscribe(s, m);
            } else if constexpr (std::is_same_v<M, wamp::Publish>) {
                auto a = authorize(s, Action::publish, m.topic, m.options);
                if (!a.allowed) {
                    // Without acknowledge a publisher hears nothing back, not even this.
                    if (auto it = m.options.find("acknowledge");
                        it != m.options.end() && it->second == wamp::Value(true))
                        deny(s, M::type, m.request, Action::publish, m.topic);
                    return {};
                }
                return broker_.publish(s, std::move(m), a.disclose);
            } else if constexpr (std::is_same_v<M, wamp::Register>) {
                if (!authorized(s, Action::register_, m.procedure, m.options, M::type, m.request))
                    return {};
                return dealer_.register_(s, std::move(m));
            } else if constexpr (std::is_same_v<M, wamp::Unregister>) {
                return dealer_.unregister(s, m);
            } else if constexpr (std::is_same_v<M, wamp::Call>) {
                auto a = authorize(s, Action::call, m.procedure, m.options);
                if (!a.allowed) {
                    deny(s, M::type, m.request, Action::call, m.procedure);
                    return {};
                }
                if (wamp::is_reserved_uri(m.procedure) && meta_call(s, m)) return {};
                return dealer_.call(s, std::move(m), a.disclose);
            } else if constexpr (std::is_same_v<M, wamp::Cancel>) {
                return dealer_.cancel(s, m);
            } else if constexpr (std::is_same_v<M, wamp::Yield>) {
                return dealer_.yield(s, std::move(m));
            } else if constexpr (std::is_same_v<M, wamp::Error>) {
                if (m.request_type != wamp::MessageType::invocation)
                    return wamp::Failure{"ERROR from a client must answer an INVOCATION, not " +
                                         std::string(wamp::message_name(m.request_type))};
                return dealer_.invocation_error(s, std::move(m));
            } else {
                return wamp::Failure{std::string(wamp::message_name(M::type)) +
                                     " is not a message a client sends in an established session"};
            }
        },
        std::move(message));
}

Authorization Realm::authorize(const Session& s, Action action, std::string_view uri,
                               const wamp::Object& options) {
    if (!config_.authorizer && config_.roles.empty()) return {true, false};
    if (!config_.authorizer) {
        // Role rules need only the role: no identity copy per message for them.
        const RolePermissions* role = s.role;
        if (!role) return {};
        if (role->authorizer.empty()) return authorize_by_role(*role, action, uri);
        // dispatch() had the decision made before routing; finding none means
        // a path that did not ask, which fails closed.
        if (!s.dynamic_authorization) return {};
        const AuthorizationNeed need{action,
                                     std::string(uri),
                                     action == Action::subscribe || action == Action::register_
                                         ? requested_match(options)
                                         : wamp::MatchPolicy::exact,
                                     {}};
        return s.dynamic_authorization->find(need, std::chrono::steady_clock::now())
            .value_or(Authorization{});
    }
    const SessionIdentity who{s.id,       config_.uri,  s.authid,
                              s.authrole, s.authmethod, s.authprovider};
    try {
        return config_.authorizer->authorize(who, action, uri, options);
    } catch (const std::exception&) {
        return {}; // fail closed
    }
}

bool Realm::authorized(Session& s, Action action, std::string_view uri, const wamp::Object& options,
                       wamp::MessageType request_type, wamp::Id request) {
    if (authorize(s, action, uri, options).allowed) return true;
    deny(s, request_type, request, action, uri);
    return false;
}

void Realm::deny(Session& s, wamp::MessageType request_type, wamp::Id request, Action action,
                 std::string_view uri) {
    wamp::Error e;
    e.request_type = request_type;
    e.request = request;
    e.error = std::string(wamp::errors::not_authorized);
    e.payload = wamp::Payload(wamp::Array{wamp::Value(
        "session " + std::to_string(s.id) + " (authrole \"" + s.authrole + "\") may not " +
        std::string(action_name(action)) + " \"" + std::string(uri) + "\"")});
    s.send(std::move(e));
}

void Realm::undeliverable(const std::shared_ptr<Session>& session, const wamp::Message& message,
                          Undeliverable why) {
    std::lock_guard lock(mutex_);
    auto it = members_.find(session->id);
    if (it == members_.end() || it->second.session != session) return;
    Session& s = *session;
    if (auto* result = std::get_if<wamp::Result>(&message))
        return dealer_.answer_undeliverable(s, result->request, why);
    if (auto* error = std::get_if<wamp::Error>(&message);
        error && error->request_type == wamp::MessageType::call)
        return dealer_.answer_undeliverable(s, error->request, why);
    if (auto* invocation = std::get_if<wamp::Invocation>(&message))
        return dealer_.invocation_undeliverable(s, invocation->request, why);
    if (!logger_) return;
    std::string what(wamp::message_name(wamp::message_type(message)));
    if (auto* event = std::get_if<wamp::Event>(&message))
        what += " of subscription " + std::to_string(event->subscription) + " (publication " +
                std::to_string(event->publication) + ")";
    logger_(RouterLogLevel::warning,
            "realm " + config_.uri + ": " + what + " not delivered to session " +
                std::to_string(s.id) + ": " +
                (why == Undeliverable::too_large
                     ? "larger than the maximum message size it announced"
                     : "its serializer cannot carry the values (e.g. NaN in JSON)"));
}

void Realm::close(std::string_view reason, std::string_view message) {
    std::vector<Member> members;
    {
        std::lock_guard lock(mutex_);
        closed_ = true;
        dealer_.cancel_all();
        for (auto& [id, member] : members_)
            members.push_back(member);
        for (auto& member : members) {
            remove_locked(*member.session, Ending::killed);
            if (auto conn = member.connection.lock()) conn->say_goodbye(reason, message);
        }
    }
}

std::size_t Realm::session_count() const {
    std::lock_guard lock(mutex_);
    return members_.size();
}

Session* Realm::find_session(wamp::Id id) {
    auto it = members_.find(id);
    return it == members_.end() ? nullptr : it->second.session.get();
}

std::unique_ptr<Timer> Realm::run_locked_after(std::chrono::milliseconds delay,
                                               std::function<void()> callback) {
    auto state = std::make_shared<StrandTimer::State>(strand_);
    state->callback = std::move(callback);
    state->timer.expires_after(delay);
    std::weak_ptr<Realm> weak = weak_from_this();
    state->timer.async_wait([weak, state](const boost::system::error_code& ec) {
        if (ec || state->cancelled) return;
        auto realm = weak.lock();
        if (!realm) return;
        std::lock_guard lock(realm->mutex_);
        if (state->cancelled) return;
        auto callback = std::move(state->callback);
        callback();
    });
    return std::make_unique<StrandTimer>(std::move(state), strand_);
}

} // namespace nexus::router
