// nexus::client::Reconnector — keeps a session joined: connects, joins,
// registers the declared procedures and subscribes the declared handlers;
// when the session ends (transport lost, ABORT, GOODBYE from the router) it
// waits with exponential backoff and does it all again, until stop().
//
//   client::Reconnector keeper(ex, client::Reconnector::to_url(ex, "tcp://127.0.0.1:8081"),
//                              "realm1");
//   keeper.provide("com.example.add", add);          // declare before start()
//   keeper.subscribe("com.example.news", on_news);
//   keeper.on_join([](client::Session& s, const client::SessionInfo&) { ... });
//   keeper.start();
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <nexus/client/session.hpp>

namespace nexus::client {

struct ReconnectOptions {
    // Non-aggregate on purpose (see ConnectOptions).
    ReconnectOptions() = default;

    /// The wait before the first retry, doubled (times `factor`) per failed
    /// attempt up to `max_delay`, and reset once a session is joined.
    std::chrono::milliseconds initial_delay{200};
    std::chrono::milliseconds max_delay{10000};
    double factor = 2.0;
    /// Consecutive failed attempts before giving up; 0 = never give up.
    unsigned max_attempts = 0;
};

class Reconnector {
public:
    /// Opens a new transport for each attempt.
    using Connect = std::function<boost::asio::awaitable<std::shared_ptr<Transport>>()>;
    /// Runs on the session's strand after each join, once the declared
    /// procedures and subscriptions are in place.
    using JoinHandler = std::function<void(Session&, const SessionInfo&)>;

    Reconnector(boost::asio::any_io_executor executor, Connect connect, std::string realm,
                JoinOptions join = {}, ReconnectOptions options = {});
    /// Stops (see stop()).
    ~Reconnector();
    Reconnector(const Reconnector&) = delete;
    Reconnector& operator=(const Reconnector&) = delete;

    /// A Connect for async_connect(executor, url, options).
    static Connect to_url(boost::asio::any_io_executor executor, std::string url,
                          ConnectOptions options = {});

    /// Declarations, re-established on every join. Only before start().
    void provide(std::string procedure, ProcedureHandler handler, RegisterOptions options = {});
    void provide_coroutine(std::string procedure, CoroutineProcedureHandler handler,
                           RegisterOptions options = {});
    void subscribe(std::string topic, EventHandler handler, SubscribeOptions options = {});
    void on_join(JoinHandler handler);

    /// Starts connecting. Call once.
    void start();
    /// Leaves the current session (GOODBYE) and stops reconnecting. Idempotent.
    void stop();

    /// The current session, or nullptr between sessions. Thread-safe.
    std::shared_ptr<Session> session() const;
    /// Sessions joined so far (1 after the first join).
    unsigned joins() const;
    /// True once the reconnector gave up (max_attempts) or was stopped.
    bool finished() const;

    struct State;

private:
    std::shared_ptr<State> state_;
};

} // namespace nexus::client
