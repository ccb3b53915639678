// ConnectionImpl: the session state machine of one transport connection
// (spec basic/sessions.md, CHECKLIST §5.2): waiting for HELLO, authenticating
// (CHALLENGE/AUTHENTICATE rounds), established, router-initiated GOODBYE sent,
// closed.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include <boost/asio/steady_timer.hpp>

#include <nexus/router/auth.hpp>
#include <nexus/router/peer.hpp>
#include <nexus/wamp/message.hpp>

#include "router/metrics.hpp"
#include "router/outbound_queue.hpp"

namespace nexus::router {

class RouterImpl;
class Realm;
class Session;

class ConnectionImpl : public std::enable_shared_from_this<ConnectionImpl> {
public:
    ConnectionImpl(std::weak_ptr<RouterImpl> router, std::shared_ptr<Peer> peer,
                   TransportInfo transport, std::size_t queue_limit, OverflowPolicy policy,
                   std::shared_ptr<RouterMetrics> metrics);

    /// Arms the HELLO deadline (RouterConfig::hello_timeout); called once the
    /// connection is shared, and again whenever it waits for a new HELLO.
    void await_hello();

    void receive(wamp::Message message);
    void receive_garbage(const std::string& error);
    std::size_t take(std::vector<OutgoingPtr>& out, std::size_t max) {
        return queue_->take(out, max);
    }
    void disconnected();

    /// The router ends the session: GOODBYE with `reason` now, the transport
    /// closes when the peer answers (or goes away). Called with the realm
    /// lock held; the realm has already removed the session.
    void say_goodbye(std::string_view reason, std::string_view message);

    /// Ends the session for a protocol violation found later than receive()
    /// (a message that waited for a decision). Never with a realm lock held.
    void fail(std::string message) { protocol_violation(std::move(message)); }

    void undeliverable(const OutgoingPtr& message, Undeliverable why);
    std::uint64_t undeliverable_messages() const {
        return undeliverable_.load(std::memory_order_relaxed);
    }

    wamp::Id session_id() const;
    std::uint64_t dropped_events() const { return queue_->dropped(); }
    const std::shared_ptr<OutboundQueue>& queue() const { return queue_; }
    const TransportInfo& transport() const { return transport_; }
    /// Messages received from the peer (receive()).
    std::uint64_t messages_received() const { return received_.load(std::memory_order_relaxed); }

private:
    enum class State { awaiting_hello, authenticating, established, goodbye_sent, closed };

    // An authentication in progress (State::authenticating).
    struct PendingAuth {
        std::shared_ptr<Realm> realm;
        std::shared_ptr<Authenticator> authenticator;
        std::shared_ptr<AuthAttempt> attempt;
        AuthRequest request;
        std::uint64_t round = 0; // which reply we wait for; stale replies carry older rounds
        bool challenged = false; // CHALLENGE sent: an AUTHENTICATE may come
    };

    void on_hello(wamp::Hello&& hello);
    void on_authenticate(wamp::Authenticate&& authenticate);
    /// An authenticator's reply for round `round`.
    void on_auth_step(std::uint64_t round, AuthStep step);
    /// The end of an authentication: admit the identity or refuse the rejection.
    void conclude_auth(std::shared_ptr<Realm> realm, AuthRequest request, std::string method,
                       AuthStep step);
    AuthReply reply_for(std::uint64_t round);
    void start_auth_deadline(std::chrono::milliseconds timeout, std::uint64_t round);
    void cancel_auth_deadline();
    void cancel_hello_deadline();
    void join(std::shared_ptr<Realm> realm, std::shared_ptr<Session> session, OutgoingPtr welcome);
    void abort_session(std::string_view reason, std::string message);
    void protocol_violation(std::string message);
    /// Sends an ABORT the router prepared (no session exists yet) and closes.
    void refuse(wamp::Abort abort);
    /// Ends the current session on our side: leaves the realm, forgets it.
    void leave_realm(bool clean = false);
    void send(wamp::Message message);

    std::weak_ptr<RouterImpl> router_;
    const std::shared_ptr<RouterMetrics> metrics_;
    std::shared_ptr<OutboundQueue> queue_;
    const TransportInfo transport_;
    // Written by receive() alone, which is never concurrent with itself.
    std::atomic<std::uint64_t> received_{0};

    mutable std::mutex mutex_; // guards the fields below
    State state_ = State::awaiting_hello;
    std::shared_ptr<Session> session_;
    std::shared_ptr<Realm> realm_;
    PendingAuth auth_;
    std::uint64_t auth_rounds_ = 0;
    std::uint64_t auth_done_round_ = 0; // the round that ended the last authentication
    std::shared_ptr<boost::asio::steady_timer> auth_timer_;
    std::shared_ptr<boost::asio::steady_timer> hello_timer_;
    std::uint64_t hello_waits_ = 0; // which wait for HELLO a deadline belongs to
    std::atomic<std::uint64_t> undeliverable_{0};
    bool welcome_shrunk_ = false; // guarded by mutex_
};

} // namespace nexus::router
