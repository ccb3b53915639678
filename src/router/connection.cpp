#include "router/connection.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <nexus/wamp/uris.hpp>

#include "router/realm.hpp"
#include "router/router_impl.hpp"
#include "router/session.hpp"

namespace nexus::router {

ConnectionImpl::ConnectionImpl(std::weak_ptr<RouterImpl> router, std::shared_ptr<Peer> peer,
                               TransportInfo transport, std::size_t queue_limit,
                               OverflowPolicy policy, std::shared_ptr<RouterMetrics> metrics)
    : router_(std::move(router)), metrics_(std::move(metrics)),
      queue_(std::make_shared<OutboundQueue>(std::move(peer), queue_limit, policy, metrics_)),
      transport_(std::move(transport)) {}

void ConnectionImpl::await_hello() {
    auto router = router_.lock();
    if (!router || router->config().hello_timeout.count() <= 0) return;
    const auto timeout = router->config().hello_timeout;
    // On a strand of its own so that cancel_hello_deadline() can reach it safely.
    auto timer = std::make_shared<boost::asio::steady_timer>(
        boost::asio::make_strand(router->executor()), timeout);
    std::uint64_t wait;
    {
        std::lock_guard lock(mutex_);
        wait = ++hello_waits_;
        hello_timer_ = timer;
    }
    timer->async_wait(
        [weak = weak_from_this(), wait, timer, timeout](boost::system::error_code ec) {
            auto self = weak.lock();
            if (!self || ec) return;
            {
                std::lock_guard lock(self->mutex_);
                if (self->state_ != State::awaiting_hello || self->hello_waits_ != wait) return;
            }
            wamp::Abort abort;
            abort.reason = std::string(wamp::errors::hello_timeout);
            abort.details.emplace("message", "no HELLO within " + std::to_string(timeout.count()) +
                                                 " ms; closing the connection");
            self->refuse(std::move(abort));
        });
}

void ConnectionImpl::cancel_hello_deadline() {
    std::shared_ptr<boost::asio::steady_timer> timer;
    {
        std::lock_guard lock(mutex_);
        timer = std::move(hello_timer_);
    }
    if (timer) boost::asio::post(timer->get_executor(), [timer] { timer->cancel(); });
}

void ConnectionImpl::send(wamp::Message message) {
    queue_->push(std::make_shared<const Outgoing>(std::move(message)), false);
}

wamp::Id ConnectionImpl::session_id() const {
    std::lock_guard lock(mutex_);
    return session_ ? session_->id : 0;
}

void ConnectionImpl::leave_realm(bool clean) {
    std::shared_ptr<Session> session;
    std::shared_ptr<Realm> realm;
    {
        std::lock_guard lock(mutex_);
        session = std::move(session_);
        realm = std::move(realm_);
        session_.reset();
        realm_.reset();
    }
    if (realm && session)
        realm->leave(session, clean ? Realm::Ending::goodbye : Realm::Ending::lost);
}

void ConnectionImpl::abort_session(std::string_view reason, std::string message) {
    leave_realm();
    {
        std::lock_guard lock(mutex_);
        if (state_ == State::closed) return;
        state_ = State::closed;
        auth_ = {};
    }
    cancel_auth_deadline();
    wamp::Abort abort;
    abort.reason = std::string(reason);
    if (!message.empty()) abort.details.emplace("message", std::move(message));
    metrics_->abort_sent(abort.reason);
    send(std::move(abort));
    queue_->close();
}

void ConnectionImpl::refuse(wamp::Abort abort) {
    {
        std::lock_guard lock(mutex_);
        state_ = State::closed;
    }
    cancel_hello_deadline();
    metrics_->abort_sent(abort.reason);
    send(std::move(abort));
    queue_->close();
}

void ConnectionImpl::protocol_violation(std::string message) {
    abort_session(wamp::errors::protocol_violation, std::move(message));
}

void ConnectionImpl::receive_garbage(const std::string& error) {
    protocol_violation("undecodable message: " + error);
}

void ConnectionImpl::receive(wamp::Message message) {
    State state;
    std::shared_ptr<Session> session;
    std::shared_ptr<Realm> realm;
    {
        std::lock_guard lock(mutex_);
        state = state_;
        session = session_;
        realm = realm_;
    }
    const wamp::MessageType type = wamp::message_type(message);
    received_.store(received_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    metrics_->received(type);

    switch (state) {
    case State::closed: return;

    case State::awaiting_hello:
        cancel_hello_deadline();
        if (type == wamp::MessageType::hello)
            return on_hello(std::get<wamp::Hello>(std::move(message)));
        if (type == wamp::MessageType::abort) {
            std::lock_guard lock(mutex_);
            state_ = State::closed;
        } else {
            return protocol_violation(std::string(wamp::message_name(type)) +
                                      " received before the session was established");
        }
        queue_->close();
        return;

    case State::authenticating:
        if (type == wamp::MessageType::authenticate)
            return on_authenticate(std::get<wamp::Authenticate>(std::move(message)));
        if (type == wamp::MessageType::abort) {
            {
                std::lock_guard lock(mutex_);
                state_ = State::closed;
                auth_ = {};
            }
            cancel_auth_deadline();
            queue_->close();
            return;
        }
        return protocol_violation(std::string(wamp::message_name(type)) +
                                  " received while authenticating");

    case State::goodbye_sent:
        // We said GOODBYE; only the answer (or an ABORT) matters now.
        if (type == wamp::MessageType::goodbye || type == wamp::MessageType::abort) {
            {
                std::lock_guard lock(mutex_);
                state_ = State::closed;
            }
            queue_->close();
        }
        return;

    case State::established: break;
    }

    switch (type) {
    case wamp::MessageType::goodbye: {
        leave_realm(true);
        {
            std::lock_guard lock(mutex_);
            if (state_ != State::established) return;
            // The transport stays open for a new HELLO (basic/building_blocks.md
            // allows reuse); the peer closes it when it is done.
            state_ = State::awaiting_hello;
        }
        wamp::Goodbye reply;
        reply.reason = std::string(wamp::close::goodbye_and_out);
        send(std::move(reply));
        await_hello();
        return;
    }
    case wamp::MessageType::abort:
        leave_realm();
        {
            std::lock_guard lock(mutex_);
            state_ = State::closed;
        }
        queue_->close();
        return;
    case wamp::MessageType::hello:
    case wamp::MessageType::authenticate:
        return protocol_violation(std::string(wamp::message_name(type)) +
                                  " received in an established session");
    default: break;
    }

    if (!realm || !session) return;
    if (auto status = realm->handle(session, std::move(message)); !status)
        protocol_violation(status.error().message);
}

void ConnectionImpl::on_hello(wamp::Hello&& hello) {
    auto router = router_.lock();
    if (!router) {
        return abort_session(wamp::close::system_shutdown, "the router is shutting down");
    }
    auto outcome = router->open_session(shared_from_this(), std::move(hello));
    if (auto* abort = std::get_if<wamp::Abort>(&outcome)) {
        return refuse(std::move(*abort));
    }
    if (auto* opened = std::get_if<RouterImpl::Opened>(&outcome))
        return join(std::move(opened->realm), std::move(opened->session),
                    std::move(opened->welcome));

    auto& pending = std::get<RouterImpl::Authenticating>(outcome);
    const std::string address = AuthThrottle::address_of(transport_.peer);
    if (auto left = router->throttle().locked_out(address, std::chrono::steady_clock::now())) {
        const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(*left).count() + 1;
        router->log(RouterLogLevel::warning,
                    "realm " + pending.request.realm + ": authentication from " + address +
                        " refused, locked out for " + std::to_string(seconds) +
                        " s more after repeated failures");
        return abort_session(wamp::errors::authentication_failed,
                             "too many failed authentication attempts from this address; try "
                             "again in " +
                                 std::to_string(seconds) + " s");
    }
    std::shared_ptr<AuthAttempt> attempt;
    try {
        attempt = pending.authenticator->begin(pending.request);
    } catch (const std::exception& e) {
        router->log(RouterLogLevel::error, "authenticator " +
                                               std::string(pending.authenticator->method()) +
                                               " failed: " + e.what());
    }
    if (!attempt) {
        metrics_->auth_failed(pending.authenticator->method());
        return abort_session(wamp::errors::authentication_failed, "authentication failed");
    }
    const auto timeout = pending.realm->config().auth_timeout;
    std::uint64_t round = 0;
    {
        std::lock_guard lock(mutex_);
        if (state_ != State::awaiting_hello) return; // disconnected meanwhile
        state_ = State::authenticating;
        round = ++auth_rounds_;
        auth_ = PendingAuth{std::move(pending.realm),
                            std::move(pending.authenticator),
                            attempt,
                            std::move(pending.request),
                            round,
                            false};
    }
    start_auth_deadline(timeout, round);
    try {
        attempt->start(reply_for(round));
    } catch (const std::exception& e) {
        on_auth_step(round, Rejection{std::string("authenticator threw: ") + e.what()});
    }
}

AuthReply ConnectionImpl::reply_for(std::uint64_t round) {
    // Replies may come late, twice, or after the connection is gone: only the
    // first reply to the current round of a live connection counts.
    return [weak = weak_from_this(), round](AuthStep step) {
        if (auto self = weak.lock()) self->on_auth_step(round, std::move(step));
    };
}

void ConnectionImpl::start_auth_deadline(std::chrono::milliseconds timeout, std::uint64_t round) {
    auto router = router_.lock();
    if (!router) return;
    std::uint64_t first_round = round;
    // On a strand of its own so that cancel_auth_deadline() can reach it safely.
    auto timer = std::make_shared<boost::asio::steady_timer>(
        boost::asio::make_strand(router->executor()), timeout);
    {
        std::lock_guard lock(mutex_);
        auth_timer_ = timer;
    }
    // The handler owns the timer too: it must outlive the wait even when the
    // connection goes away first.
    timer->async_wait([weak = weak_from_this(), first_round, timer](boost::system::error_code ec) {
        auto self = weak.lock();
        if (!self || ec) return;
        std::string method;
        {
            std::lock_guard lock(self->mutex_);
            // Still in the authentication that armed this timer?
            if (self->state_ != State::authenticating || self->auth_.round < first_round ||
                first_round <= self->auth_done_round_)
                return;
            method = std::string(self->auth_.authenticator->method());
            self->auth_ = {};
        }
        if (auto router = self->router_.lock())
            router->log(RouterLogLevel::info,
                        "authentication timed out (" + self->transport_.peer + ")");
        self->metrics_->auth_failed(method);
        self->abort_session(wamp::errors::authentication_failed,
                            "authentication was not completed in time");
    });
}

void ConnectionImpl::cancel_auth_deadline() {
    std::shared_ptr<boost::asio::steady_timer> timer;
    {
        std::lock_guard lock(mutex_);
        timer = std::move(auth_timer_);
    }
    if (timer) boost::asio::post(timer->get_executor(), [timer] { timer->cancel(); });
}

void ConnectionImpl::on_authenticate(wamp::Authenticate&& authenticate) {
    std::shared_ptr<AuthAttempt> attempt;
    std::uint64_t round = 0;
    {
        std::lock_guard lock(mutex_);
        if (state_ == State::authenticating && auth_.challenged) {
            auth_.challenged = false;
            round = auth_.round = ++auth_rounds_;
            attempt = auth_.attempt;
        }
    }
    if (!attempt) return protocol_violation("AUTHENTICATE received before a CHALLENGE");
    try {
        attempt->respond(authenticate.signature, authenticate.extra, reply_for(round));
    } catch (const std::exception& e) {
        on_auth_step(round, Rejection{std::string("authenticator threw: ") + e.what()});
    }
}

void ConnectionImpl::on_auth_step(std::uint64_t round, AuthStep step) {
    auto router = router_.lock();
    std::shared_ptr<Realm> realm;
    AuthRequest request;
    std::string method;
    {
        std::lock_guard lock(mutex_);
        if (state_ != State::authenticating || auth_.round != round || auth_.challenged) return;
        method = std::string(auth_.authenticator->method());
        if (auto* challenge = std::get_if<Challenge>(&step)) {
            auth_.challenged = true;
            send(wamp::Challenge{method, std::move(challenge->extra)});
            return;
        }
        realm = std::move(auth_.realm);
        request = std::move(auth_.request);
        auth_ = {};
        auth_done_round_ = round;
    }
    cancel_auth_deadline();
    if (!router) return abort_session(wamp::close::system_shutdown, "the router is shutting down");
    // An authid that failed often gets its answer late, whatever it is.
    const auto delay = router->throttle().authid_delay(request.realm, request.authid,
                                                       std::chrono::steady_clock::now());
    if (delay <= std::chrono::steady_clock::duration::zero())
        return conclude_auth(std::move(realm), std::move(request), std::move(method),
                             std::move(step));
    auto timer = std::make_shared<boost::asio::steady_timer>(
        boost::asio::make_strand(router->executor()), delay);
    timer->async_wait([weak = weak_from_this(), timer, realm = std::move(realm),
                       request = std::move(request), method = std::move(method),
                       step = std::move(step)](boost::system::error_code) mutable {
        if (auto self = weak.lock())
            self->conclude_auth(std::move(realm), std::move(request), std::move(method),
                                std::move(step));
    });
}

void ConnectionImpl::conclude_auth(std::shared_ptr<Realm> realm, AuthRequest request,
                                   std::string method, AuthStep step) {
    auto router = router_.lock();
    if (!router) return abort_session(wamp::close::system_shutdown, "the router is shutting down");
    const std::string address = AuthThrottle::address_of(transport_.peer);
    if (auto* rejection = std::get_if<Rejection>(&step)) {
        metrics_->auth_failed(method);
        router->log(RouterLogLevel::warning, "realm " + request.realm + ": " + method +
                                                 " authentication failed (" + transport_.peer +
                                                 "): " + rejection->log_reason);
        const auto outcome = router->throttle().failed(address, request.realm, request.authid,
                                                       std::chrono::steady_clock::now());
        if (outcome.address_locked)
            router->log(RouterLogLevel::warning,
                        "authentication from " + address + " locked out for " +
                            std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                               outcome.lockout)
                                               .count()) +
                            " ms after repeated failures");
        if (outcome.authid_throttled)
            router->log(RouterLogLevel::warning,
                        "realm " + request.realm + ": authid \"" + request.authid +
                            "\" failed repeatedly; its authentication answers are delayed");
        return abort_session(wamp::errors::authentication_failed, "authentication failed");
    }
    router->throttle().succeeded(address);
    Identity identity = std::get<Identity>(std::move(step));
    if (identity.authmethod.empty()) identity.authmethod = method;
    auto admitted = router->admit(shared_from_this(), std::move(realm), std::move(request),
                                  std::move(identity));
    if (auto* abort = std::get_if<wamp::Abort>(&admitted)) {
        return refuse(std::move(*abort));
    }
    auto& opened = std::get<RouterImpl::Opened>(admitted);
    join(std::move(opened.realm), std::move(opened.session), std::move(opened.welcome));
}

void ConnectionImpl::join(std::shared_ptr<Realm> realm, std::shared_ptr<Session> session,
                          OutgoingPtr welcome) {
    {
        std::lock_guard lock(mutex_);
        if (state_ != State::awaiting_hello && state_ != State::authenticating)
            return; // disconnected meanwhile
        state_ = State::established;
        session_ = session;
        realm_ = realm;
    }
    // Established before joining, so that a kill or shutdown that sees the
    // new member finds a connection able to say GOODBYE. The realm queues the
    // WELCOME before the session becomes visible, so nothing precedes it.
    const auto joined = realm->join(session, weak_from_this(), std::move(welcome));
    if (joined != Realm::JoinResult::joined) {
        {
            std::lock_guard lock(mutex_);
            session_.reset();
            realm_.reset();
        }
        if (joined == Realm::JoinResult::full)
            return abort_session(wamp::errors::limit_exceeded,
                                 "the realm has reached its session limit (max_sessions)");
        if (joined == Realm::JoinResult::id_taken)
            return abort_session(wamp::errors::session_id_taken,
                                 "the session id is in use on another node of the cluster; join "
                                 "again");
        if (joined == Realm::JoinResult::router_full)
            return abort_session(wamp::errors::limit_exceeded,
                                 "the router has reached its session limit (max_sessions)");
        return abort_session(wamp::errors::no_such_realm, "the realm is closing");
    }
    bool gone = false;
    {
        std::lock_guard lock(mutex_);
        gone = state_ == State::closed;
    }
    if (gone) realm->leave(session, Realm::Ending::lost); // disconnected() raced with the join
}

void ConnectionImpl::say_goodbye(std::string_view reason, std::string_view message) {
    {
        std::lock_guard lock(mutex_);
        if (state_ != State::established) return;
        state_ = State::goodbye_sent;
        session_.reset();
        realm_.reset();
    }
    wamp::Goodbye goodbye;
    goodbye.reason = std::string(reason);
    if (!message.empty()) goodbye.details.emplace("message", std::string(message));
    send(std::move(goodbye));
}

void ConnectionImpl::disconnected() {
    cancel_hello_deadline();
    leave_realm();
    {
        std::lock_guard lock(mutex_);
        state_ = State::closed;
        auth_ = {};
    }
    cancel_auth_deadline();
    queue_->close();
}

void ConnectionImpl::undeliverable(const OutgoingPtr& message, Undeliverable why) {
    undeliverable_.fetch_add(1, std::memory_order_relaxed);
    std::shared_ptr<Session> session;
    std::shared_ptr<Realm> realm;
    bool shrink_welcome = false;
    {
        std::lock_guard lock(mutex_);
        session = session_;
        realm = realm_;
        if (std::holds_alternative<wamp::Welcome>(message->message()) && !welcome_shrunk_)
            shrink_welcome = welcome_shrunk_ = true;
    }
    if (std::holds_alternative<wamp::Welcome>(message->message())) {
        if (!shrink_welcome)
            return protocol_violation("the WELCOME does not fit the maximum message size the "
                                      "client announced");
        // A peer that announced a very small maximum (RawSocket allows 512
        // octets) cannot take the features lists: it gets the roles alone,
        // which announces less than the router does, never more.
        wamp::Welcome small = std::get<wamp::Welcome>(message->message());
        small.details.insert_or_assign(
            "roles", wamp::Object{{"broker", wamp::Object{}}, {"dealer", wamp::Object{}}});
        return send(std::move(small));
    }
    if (realm && session) return realm->undeliverable(session, message->message(), why);
    if (auto router = router_.lock())
        router->log(RouterLogLevel::warning,
                    std::string(wamp::message_name(wamp::message_type(message->message()))) +
                        " to " + transport_.peer + " could not be sent: " +
                        (why == Undeliverable::too_large ? "larger than the peer accepts"
                                                         : "not encodable in its serializer"));
}

// Connection: the public face --------------------------------------------

Connection::~Connection() { impl_->disconnected(); }
void Connection::receive(wamp::Message message) { impl_->receive(std::move(message)); }
void Connection::receive_garbage(const std::string& error) { impl_->receive_garbage(error); }
std::size_t Connection::take(std::vector<OutgoingPtr>& out, std::size_t max) {
    return impl_->take(out, max);
}
void Connection::disconnected() { impl_->disconnected(); }
wamp::Id Connection::session_id() const { return impl_->session_id(); }
void Connection::undeliverable(const OutgoingPtr& message, Undeliverable why) {
    impl_->undeliverable(message, why);
}
std::uint64_t Connection::undeliverable_messages() const { return impl_->undeliverable_messages(); }
std::uint64_t Connection::dropped_events() const { return impl_->dropped_events(); }

} // namespace nexus::router
