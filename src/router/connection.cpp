#include "router/connection.hpp"

#include <nexus/wamp/uris.hpp>

#include "router/realm.hpp"
#include "router/router_impl.hpp"
#include "router/session.hpp"

namespace nexus::router {

ConnectionImpl::ConnectionImpl(std::weak_ptr<RouterImpl> router, std::shared_ptr<Peer> peer,
                               TransportInfo transport, std::size_t queue_limit,
                               OverflowPolicy policy)
    : router_(std::move(router)),
      queue_(std::make_shared<OutboundQueue>(std::move(peer), queue_limit, policy)),
      transport_(std::move(transport)) {}

void ConnectionImpl::send(wamp::Message message) {
    queue_->push(std::make_shared<const Outgoing>(std::move(message)), false);
}

wamp::Id ConnectionImpl::session_id() const {
    std::lock_guard lock(mutex_);
    return session_ ? session_->id : 0;
}

void ConnectionImpl::leave_realm() {
    std::shared_ptr<Session> session;
    std::shared_ptr<Realm> realm;
    {
        std::lock_guard lock(mutex_);
        session = std::move(session_);
        realm = std::move(realm_);
        session_.reset();
        realm_.reset();
    }
    if (realm && session) realm->leave(session);
}

void ConnectionImpl::abort_session(std::string_view reason, std::string message) {
    leave_realm();
    {
        std::lock_guard lock(mutex_);
        if (state_ == State::closed) return;
        state_ = State::closed;
    }
    wamp::Abort abort;
    abort.reason = std::string(reason);
    if (!message.empty()) abort.details.emplace("message", std::move(message));
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

    switch (state) {
    case State::closed: return;

    case State::awaiting_hello:
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
        leave_realm();
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
        {
            std::lock_guard lock(mutex_);
            state_ = State::closed;
        }
        send(std::move(*abort));
        queue_->close();
        return;
    }
    auto& opened = std::get<RouterImpl::Opened>(outcome);
    {
        std::lock_guard lock(mutex_);
        if (state_ != State::awaiting_hello) return; // disconnected meanwhile
        state_ = State::established;
        session_ = opened.session;
        realm_ = opened.realm;
    }
    // Established before joining, so that a kill or shutdown that sees the
    // new member finds a connection able to say GOODBYE. The realm queues the
    // WELCOME before the session becomes visible, so nothing precedes it.
    if (!opened.realm->join(opened.session, weak_from_this(), std::move(opened.welcome))) {
        {
            std::lock_guard lock(mutex_);
            session_.reset();
            realm_.reset();
        }
        return abort_session(wamp::errors::no_such_realm, "the realm is closing");
    }
    bool gone = false;
    {
        std::lock_guard lock(mutex_);
        gone = state_ == State::closed;
    }
    if (gone) opened.realm->leave(opened.session); // disconnected() raced with the join
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
    leave_realm();
    {
        std::lock_guard lock(mutex_);
        state_ = State::closed;
    }
    queue_->close();
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
std::uint64_t Connection::dropped_events() const { return impl_->dropped_events(); }

} // namespace nexus::router
