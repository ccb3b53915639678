#include <nexus/transport/local.hpp>

#include <atomic>
#include <mutex>
#include <vector>

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

namespace nexus::transport {

struct LocalConnection::State : std::enable_shared_from_this<LocalConnection::State> {
    boost::asio::strand<boost::asio::any_io_executor> strand;
    MessageHandler on_message;
    CloseHandler on_close;
    std::mutex send_mutex; // serialises senders; the router wants one at a time
    std::unique_ptr<router::Connection> connection;
    std::atomic<bool> drain_scheduled{false};
    std::atomic<bool> close_requested{false};
    std::atomic<bool> closed{false};
    // Held while a handler runs; close() takes it to make sure that once it
    // returns, no handler runs any more (the user may free what they use).
    std::recursive_mutex handler_mutex;
    bool detached = false;

    explicit State(boost::asio::any_io_executor executor)
        : strand(boost::asio::make_strand(std::move(executor))) {}

    // What the router holds of the connection.
    class Peer;

    void schedule_drain() {
        if (drain_scheduled.exchange(true)) return;
        boost::asio::post(strand, [self = shared_from_this()] { self->drain(); });
    }

    // Runs on the strand: delivers everything queued, then the close if one
    // was requested (the router queues its last words before closing).
    void drain() {
        drain_scheduled = false;
        std::vector<router::OutgoingPtr> batch;
        std::lock_guard handlers(handler_mutex);
        while (connection && connection->take(batch, 64) > 0) {
            for (const router::OutgoingPtr& out : batch)
                if (on_message && !detached) on_message(out->message());
            batch.clear();
        }
        if (close_requested && !closed.exchange(true)) {
            if (connection) connection->disconnected();
            if (on_close && !detached) on_close();
        }
    }
};

class LocalConnection::State::Peer final : public router::Peer {
public:
    explicit Peer(std::weak_ptr<State> state) : state_(std::move(state)) {}
    void wake() override {
        if (auto s = state_.lock()) s->schedule_drain();
    }
    void close() override {
        if (auto s = state_.lock()) {
            s->close_requested = true;
            boost::asio::post(s->strand, [s] { s->drain(); });
        }
    }

private:
    std::weak_ptr<State> state_;
};

LocalConnection::LocalConnection(std::shared_ptr<State> state) : state_(std::move(state)) {}

std::shared_ptr<LocalConnection> LocalConnection::connect(router::Router& router,
                                                          boost::asio::any_io_executor executor,
                                                          MessageHandler on_message,
                                                          CloseHandler on_close) {
    auto state = std::make_shared<State>(std::move(executor));
    state->on_message = std::move(on_message);
    state->on_close = std::move(on_close);
    auto connection = router.attach(
        std::make_shared<State::Peer>(state),
        router::TransportInfo{.type = "local", .protocol = "wamp.2.local", .peer = "local"});
    {
        // The router may already talk to the connection from its own threads
        // (a HELLO deadline): publish it under the lock drain() reads it with,
        // then drain whatever came before it was there.
        std::lock_guard handlers(state->handler_mutex);
        state->connection = std::move(connection);
    }
    state->schedule_drain();
    // Not make_shared: the constructor is private.
    return std::shared_ptr<LocalConnection>(new LocalConnection(std::move(state)));
}

LocalConnection::~LocalConnection() { close(); }

void LocalConnection::send(wamp::Message message) {
    std::lock_guard lock(state_->send_mutex);
    if (state_->closed || state_->close_requested) return;
    state_->connection->receive(std::move(message));
}

void LocalConnection::close() {
    {
        std::lock_guard handlers(state_->handler_mutex);
        state_->detached = true;
    }
    if (state_->close_requested.exchange(true)) return;
    {
        std::lock_guard lock(state_->send_mutex);
        state_->connection->disconnected();
    }
    boost::asio::post(state_->strand, [s = state_] { s->drain(); });
}

bool LocalConnection::closed() const { return state_->closed; }

std::uint64_t LocalConnection::dropped_events() const {
    return state_->connection->dropped_events();
}

} // namespace nexus::transport
