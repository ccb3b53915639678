// The reconnect loop: one coroutine on a strand owns the attempts; the
// public members only touch the shared state under its mutex.
#include <nexus/client/reconnector.hpp>

#include <algorithm>
#include <mutex>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace nexus::client {

namespace asio = boost::asio;

struct Reconnector::State {
    struct Procedure {
        std::string uri;
        ProcedureHandler plain;
        CoroutineProcedureHandler coroutine;
        RegisterOptions options;
    };
    struct Topic {
        std::string uri;
        EventHandler handler;
        SubscribeOptions options;
    };

    asio::strand<asio::any_io_executor> strand;
    Connect connect;
    std::string realm;
    JoinOptions join;
    ReconnectOptions options;
    std::vector<Procedure> procedures;
    std::vector<Topic> topics;
    JoinHandler on_join;

    mutable std::mutex mutex; // guards what follows
    std::shared_ptr<Session> session;
    unsigned joins = 0;
    bool started = false;
    bool stopping = false;
    bool finished = false;
    asio::steady_timer* backoff = nullptr; // the loop's timer while it waits

    explicit State(asio::any_io_executor executor) : strand(asio::make_strand(executor)) {}

    bool should_stop() {
        std::lock_guard lock(mutex);
        return stopping;
    }

    // One session: connect, join, declare, wait for its end. Throws on failure.
    asio::awaitable<void> run_session() {
        auto transport = co_await connect();
        auto s = std::make_shared<Session>(strand, std::move(transport));
        {
            std::lock_guard lock(mutex);
            if (stopping) co_return;
            session = s;
        }
        SessionInfo info = co_await s->join(realm, join);
        for (const auto& p : procedures) {
            if (p.plain)
                co_await s->provide(p.uri, p.plain, p.options);
            else
                co_await s->provide_coroutine(p.uri, p.coroutine, p.options);
        }
        for (const auto& t : topics)
            co_await s->subscribe(t.uri, t.handler, t.options);
        {
            std::lock_guard lock(mutex);
            ++joins;
        }
        if (on_join) on_join(*s, info);
        co_await s->wait_closed();
    }

    asio::awaitable<void> loop() {
        auto delay = options.initial_delay;
        unsigned failures = 0;
        while (!should_stop()) {
            const unsigned before = joins_now();
            try {
                co_await run_session();
            } catch (const std::exception&) {
                // A failed attempt: counted below, retried after the backoff.
            }
            {
                std::lock_guard lock(mutex);
                session.reset();
            }
            if (joins_now() > before) {
                failures = 0; // the session worked for a while: start over
                delay = options.initial_delay;
            } else if (options.max_attempts && ++failures >= options.max_attempts) {
                break;
            }
            asio::steady_timer timer(strand, delay);
            {
                std::lock_guard lock(mutex);
                if (stopping) break;
                backoff = &timer;
            }
            boost::system::error_code ec;
            co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            {
                std::lock_guard lock(mutex);
                backoff = nullptr;
            }
            delay = std::min(options.max_delay,
                             std::chrono::milliseconds(static_cast<std::int64_t>(
                                 static_cast<double>(delay.count()) * options.factor)));
        }
        std::lock_guard lock(mutex);
        finished = true;
    }

    unsigned joins_now() {
        std::lock_guard lock(mutex);
        return joins;
    }
};

Reconnector::Reconnector(asio::any_io_executor executor, Connect connect, std::string realm,
                         JoinOptions join, ReconnectOptions options)
    : state_(std::make_shared<State>(std::move(executor))) {
    state_->connect = std::move(connect);
    state_->realm = std::move(realm);
    state_->join = std::move(join);
    state_->options = options;
}

Reconnector::~Reconnector() { stop(); }

Reconnector::Connect Reconnector::to_url(asio::any_io_executor executor, std::string url,
                                         ConnectOptions options) {
    return [executor, url = std::move(url), options]() {
        return async_connect(executor, url, options);
    };
}

void Reconnector::provide(std::string procedure, ProcedureHandler handler,
                          RegisterOptions options) {
    state_->procedures.push_back({std::move(procedure), std::move(handler), nullptr, options});
}

void Reconnector::provide_coroutine(std::string procedure, CoroutineProcedureHandler handler,
                                    RegisterOptions options) {
    state_->procedures.push_back({std::move(procedure), nullptr, std::move(handler), options});
}

void Reconnector::subscribe(std::string topic, EventHandler handler, SubscribeOptions options) {
    state_->topics.push_back({std::move(topic), std::move(handler), options});
}

void Reconnector::on_join(JoinHandler handler) { state_->on_join = std::move(handler); }

void Reconnector::start() {
    {
        std::lock_guard lock(state_->mutex);
        if (state_->started) return;
        state_->started = true;
    }
    // The coroutine holds the state, so it may outlive this object briefly.
    asio::co_spawn(
        state_->strand, [state = state_]() { return state->loop(); }, asio::detached);
}

void Reconnector::stop() {
    asio::post(state_->strand, [state = state_] {
        std::shared_ptr<Session> s;
        {
            std::lock_guard lock(state->mutex);
            if (state->stopping) return;
            state->stopping = true;
            if (!state->started) state->finished = true;
            if (state->backoff) state->backoff->cancel();
            s = state->session;
        }
        // Leaving ends wait_closed(), and the loop sees `stopping`.
        if (s && s->is_joined())
            s->leave("wamp.close.close_realm", [](std::exception_ptr, CloseInfo) {});
        else if (s)
            s->disconnect();
    });
}

std::shared_ptr<Session> Reconnector::session() const {
    std::lock_guard lock(state_->mutex);
    return state_->session;
}

unsigned Reconnector::joins() const {
    std::lock_guard lock(state_->mutex);
    return state_->joins;
}

bool Reconnector::finished() const {
    std::lock_guard lock(state_->mutex);
    return state_->finished;
}

} // namespace nexus::client
