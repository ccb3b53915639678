// The in-process transport: a client in the same program as a Router talks
// to it without sockets and without serializing — wamp::Message objects
// cross as they are (payloads stay whatever they were).
#pragma once

#include <functional>
#include <memory>

#include <boost/asio/any_io_executor.hpp>

#include <nexus/router/router.hpp>
#include <nexus/wamp/message.hpp>

namespace nexus::transport {

class LocalConnection : public std::enable_shared_from_this<LocalConnection> {
public:
    using MessageHandler = std::function<void(const wamp::Message&)>;
    using CloseHandler = std::function<void()>;

    /// Attaches a new connection to `router`. `on_message` receives what the
    /// router sends, in order, and `on_close` runs once when the router ends
    /// the connection; both run on a strand of `executor`, never concurrently.
    static std::shared_ptr<LocalConnection> connect(router::Router& router,
                                                    boost::asio::any_io_executor executor,
                                                    MessageHandler on_message,
                                                    CloseHandler on_close = {});
    ~LocalConnection();

    /// Hands a message to the router. Thread-safe; concurrent senders are
    /// serialised, and the router sees messages in the order of the calls.
    void send(wamp::Message message);

    /// Drops the connection, as a transport that went away (no GOODBYE).
    /// Once close() returns, neither handler runs again (so what they use
    /// may be destroyed); the destructor closes too.
    void close();
    bool closed() const;

    /// EVENTs the router dropped because this connection did not keep up.
    std::uint64_t dropped_events() const;

private:
    struct State;
    explicit LocalConnection(std::shared_ptr<State> state);

    std::shared_ptr<State> state_;
};

} // namespace nexus::transport
