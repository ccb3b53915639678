#include "nats_bus.hpp"

#include <algorithm>
#include <climits>
#include <future>
#include <stdexcept>
#include <tuple>

#include "closure_registry.hpp"
#include "nats_error.hpp"
#include "nats_options.hpp"
#include "subject.hpp"

namespace nexus::cluster {

namespace natsbus {

namespace {

bool fits_int(std::size_t n) { return n <= static_cast<std::size_t>(INT_MAX); }

class NatsSubscription final : public BusSubscription {
public:
    NatsSubscription(natsSubscription* sub, void* closure, std::shared_ptr<Subscriber> subscriber)
        : sub_(sub), closure_(closure), subscriber_(std::move(subscriber)) {}
    ~NatsSubscription() override { cancel(); }

    void cancel() override {
        natsSubscription* sub = sub_.exchange(nullptr);
        if (!sub) return;
        // No handler runs once the gate is closed; libnats may still hand
        // over a message or two, which find the gate closed (or the registry
        // entry gone).
        subscriber_->gate.close();
        natsSubscription_Unsubscribe(sub); // fails harmlessly on a closed connection
        natsSubscription_Destroy(sub);
        ClosureRegistry<Subscriber>::instance().remove(closure_);
    }

private:
    std::atomic<natsSubscription*> sub_;
    void* const closure_;
    const std::shared_ptr<Subscriber> subscriber_;
};

/// Returned after close(): nothing to cancel.
class ClosedSubscription final : public BusSubscription {
public:
    void cancel() override {}
};

} // namespace

NatsBus::NatsBus(NatsOptions options)
    : options_(std::move(options)), link_(std::make_shared<Link>()),
      kv_worker_(std::make_unique<CallbackThread>()) {
    link_->logger = options_.logger;
    link_->servers = describe_urls(options_.urls);
    link_->reconnect_wait = options_.reconnect_wait;
    link_->max_pending = options_.max_pending_messages;

    NatsOptionsPtr opts = make_nats_options(options_);
    natsInbox* inbox = nullptr;
    if (natsInbox_Create(&inbox) != NATS_OK) throw std::runtime_error("NATS: cannot make an inbox");
    link_->inbox = inbox;
    natsInbox_Destroy(inbox);

    link_closure_ = ClosureRegistry<Link>::instance().add(link_);
    auto fail = [&](natsStatus s, const std::string& what) {
        const std::string error = nats_error(s);
        ClosureRegistry<Link>::instance().remove(link_closure_);
        if (conn_) natsConnection_Destroy(conn_);
        conn_ = nullptr;
        throw std::invalid_argument("NATS " + what + ": " + error);
    };
    natsStatus s = natsOptions_SetDisconnectedCB(opts.get(), on_disconnected, link_closure_);
    if (s == NATS_OK) s = natsOptions_SetReconnectedCB(opts.get(), on_reconnected, link_closure_);
    if (s == NATS_OK) s = natsOptions_SetClosedCB(opts.get(), on_closed, link_closure_);
    if (s == NATS_OK) s = natsOptions_SetErrorHandler(opts.get(), on_error, link_closure_);
    if (s == NATS_OK)
        s = natsOptions_SetCustomReconnectDelay(opts.get(), reconnect_delay, link_closure_);
    // An unreachable server at startup is retried like a lost one.
    if (s == NATS_OK)
        s = natsOptions_SetRetryOnFailedConnect(opts.get(), true, on_connected, link_closure_);
    if (s != NATS_OK) fail(s, "options");

    s = natsConnection_Connect(&conn_, opts.get());
    const bool connected = s == NATS_OK;
    if (!connected && s != NATS_NOT_YET_CONNECTED) fail(s, "connect to " + link_->servers);
    if (connected) {
        link_->log(NatsLogLevel::info, "NATS: connected to " + link_->servers);
    } else {
        link_->log(NatsLogLevel::warning,
                   "NATS: cannot reach " + link_->servers + " yet; retrying in the background");
    }

    jsOptions js_options;
    jsOptions_Init(&js_options);
    js_options.Wait = options_.kv_timeout.count();
    s = natsConnection_JetStream(&js_, conn_, &js_options);
    if (s != NATS_OK) fail(s, "JetStream");
    s = natsConnection_Subscribe(&inbox_sub_, conn_, (link_->inbox + ".*").c_str(), on_reply,
                                 link_closure_);
    // A connection retried in the background may already have given up (a
    // TLS handshake that fails verification is not retried): the bus is then
    // closed, which its closed callback reports, not a construction error.
    if (s == NATS_CONNECTION_CLOSED)
        inbox_sub_ = nullptr;
    else if (s != NATS_OK) {
        jsCtx_Destroy(js_);
        js_ = nullptr;
        fail(s, "reply subscription");
    }
    kv_ = std::make_unique<JetStreamKv>(js_, options_.kv_replicas, options_.kv_timeout);
    if (connected) link_->callbacks->post([link = link_] { link->set_state(BusState::connected); });
}

NatsBus::~NatsBus() {
    close();
    kv_worker_->stop(true); // waits for it: it uses kv_ and js_
    kv_.reset();
    if (inbox_sub_) natsSubscription_Destroy(inbox_sub_);
    if (js_) jsCtx_Destroy(js_);
    if (conn_) natsConnection_Destroy(conn_);
    // What close() queued (failed requests, the closed state) still runs.
    link_->callbacks->stop(true);
}

bool NatsBus::publish(std::string_view subject, std::string_view payload) {
    if (closed_ || !subject::valid_literal(subject) || !fits_int(payload.size())) return false;
    const std::string name(subject);
    // NATS refuses what exceeds the server's max_payload, and while
    // disconnected what exceeds the reconnect buffer.
    return natsConnection_Publish(conn_, name.c_str(), payload.data(),
                                  static_cast<int>(payload.size())) == NATS_OK;
}

std::size_t NatsBus::max_payload() const {
    // What the server said in its INFO; 0 before the first one came.
    const std::int64_t n = natsConnection_GetMaxPayload(conn_);
    return n > 0 ? static_cast<std::size_t>(n) : 0;
}

std::unique_ptr<BusSubscription> NatsBus::subscribe(std::string_view subject,
                                                    MessageHandler handler) {
    if (!subject::valid_pattern(subject))
        throw std::invalid_argument("invalid subject pattern \"" + std::string(subject) + "\"");
    if (closed_) return std::make_unique<ClosedSubscription>();
    auto subscriber = std::make_shared<Subscriber>();
    subscriber->link = link_;
    subscriber->handler = std::move(handler);
    void* closure = ClosureRegistry<Subscriber>::instance().add(subscriber);
    natsSubscription* sub = nullptr;
    const natsStatus s =
        natsConnection_Subscribe(&sub, conn_, std::string(subject).c_str(), on_message, closure);
    if (s != NATS_OK) {
        ClosureRegistry<Subscriber>::instance().remove(closure);
        if (s == NATS_CONNECTION_CLOSED) return std::make_unique<ClosedSubscription>();
        throw std::runtime_error("NATS subscribe to \"" + std::string(subject) +
                                 "\": " + nats_error(s));
    }
    // No pending-message limit in libnats: the bus bounds what it queues.
    natsSubscription_SetPendingLimits(sub, -1, -1);
    {
        std::lock_guard lock(subscribers_mutex_);
        std::erase_if(subscribers_, [](const auto& weak) { return weak.expired(); });
        subscribers_.push_back(subscriber);
    }
    // Once the server has it, what anyone publishes from now on reaches it
    // (while disconnected it takes effect on reconnect).
    if (natsConnection_Status(conn_) == NATS_CONN_STATUS_CONNECTED) {
        // Not fatal (the subscription stands, and is sent again on
        // reconnect), but messages published meanwhile may miss it.
        const natsStatus flushed =
            natsConnection_FlushTimeout(conn_, options_.connect_timeout.count());
        if (flushed != NATS_OK)
            link_->log(NatsLogLevel::warning,
                       "NATS: subscription to \"" + std::string(subject) +
                           "\" not confirmed by the server: " + nats_error(flushed));
    }
    return std::make_unique<NatsSubscription>(sub, closure, std::move(subscriber));
}

void NatsBus::request(std::string_view subject, std::string_view payload,
                      std::chrono::milliseconds timeout,
                      std::function<void(std::optional<std::string>)> done) {
    if (closed_ || !subject::valid_literal(subject) || !fits_int(payload.size())) {
        link_->callbacks->post([done = std::move(done)] { done(std::nullopt); });
        return;
    }
    const std::uint64_t id = ++next_request_;
    {
        std::lock_guard lock(link_->mutex);
        link_->requests.emplace(id, std::move(done));
    }
    const std::string reply = link_->inbox + "." + std::to_string(id);
    const natsStatus s =
        natsConnection_PublishRequest(conn_, std::string(subject).c_str(), reply.c_str(),
                                      payload.data(), static_cast<int>(payload.size()));
    if (s != NATS_OK) {
        if (auto failed = link_->take_request(id))
            link_->callbacks->post([failed = std::move(failed)] { failed(std::nullopt); });
        return;
    }
    link_->callbacks->post_at(CallbackThread::Clock::now() + timeout, [link = link_, id] {
        if (auto expired = link->take_request(id)) expired(std::nullopt);
    });
}

template <class Result, class Operation, class Done>
void NatsBus::run_kv(Operation operation, Done done, Result failed) {
    auto shared_done = std::make_shared<Done>(std::move(done));
    auto report = [link = link_, shared_done](Result result) {
        link->callbacks->post([shared_done, result = std::move(result)]() mutable {
            std::apply(*shared_done, std::move(result));
        });
    };
    if (closed_) return report(failed);
    const bool posted = kv_worker_->post([this, operation = std::move(operation), report, failed] {
        if (closed_) return report(failed);
        // A JetStream request while disconnected would wait for its timeout.
        if (natsConnection_Status(conn_) != NATS_CONN_STATUS_CONNECTED) return report(failed);
        report(operation(*kv_));
    });
    if (!posted) report(failed);
}

void NatsBus::kv_get(std::string_view bucket, std::string_view key, KvDone done) {
    run_kv([bucket = std::string(bucket),
            key = std::string(key)](JetStreamKv& kv) { return std::tuple{kv.get(bucket, key)}; },
           std::move(done), std::tuple{kv_error("NATS is not connected")});
}

void NatsBus::kv_create(std::string_view bucket, std::string_view key, std::string_view value,
                        KvDone done) {
    run_kv([bucket = std::string(bucket), key = std::string(key), value = std::string(value)](
               JetStreamKv& kv) { return std::tuple{kv.create(bucket, key, value)}; },
           std::move(done), std::tuple{kv_error("NATS is not connected")});
}

void NatsBus::kv_update(std::string_view bucket, std::string_view key, std::string_view value,
                        std::uint64_t expected, KvDone done) {
    run_kv(
        [bucket = std::string(bucket), key = std::string(key), value = std::string(value),
         expected](JetStreamKv& kv) { return std::tuple{kv.update(bucket, key, value, expected)}; },
        std::move(done), std::tuple{kv_error("NATS is not connected")});
}

void NatsBus::kv_erase(std::string_view bucket, std::string_view key, std::uint64_t expected,
                       KvDone done) {
    run_kv([bucket = std::string(bucket), key = std::string(key),
            expected](JetStreamKv& kv) { return std::tuple{kv.erase(bucket, key, expected)}; },
           std::move(done), std::tuple{kv_error("NATS is not connected")});
}

void NatsBus::kv_list(
    std::string_view bucket,
    std::function<void(KvResult::Status, std::vector<std::pair<std::string, std::string>>)> done) {
    using Entries = std::vector<std::pair<std::string, std::string>>;
    run_kv([bucket = std::string(bucket)](JetStreamKv& kv) { return kv.list(bucket); },
           std::move(done), std::pair<KvResult::Status, Entries>{KvResult::Status::error, {}});
}

void NatsBus::on_state(std::function<void(BusState)> handler) {
    link_->callbacks->post([link = link_, handler = std::move(handler)]() mutable {
        const BusState now = link->state;
        if (now != BusState::closed) link->on_state = handler;
        handler(now);
    });
}

void NatsBus::close() {
    if (closed_.exchange(true)) return;
    link_->closing = true;
    // What was published last (a router's goodbye to the cluster) goes out
    // before the connection does.
    if (natsConnection_Status(conn_) == NATS_CONN_STATUS_CONNECTED)
        natsConnection_FlushTimeout(conn_,
                                    std::min<std::int64_t>(options_.connect_timeout.count(), 1000));
    // Ends the key-value operation in progress, if any (libnats fails its
    // request); the ones queued behind it see closed_ and fail at once.
    natsConnection_Close(conn_);
    std::vector<std::shared_ptr<Subscriber>> subscribers;
    {
        std::lock_guard lock(subscribers_mutex_);
        for (auto& weak : subscribers_)
            if (auto s = weak.lock()) subscribers.push_back(std::move(s));
        subscribers_.clear();
    }
    for (auto& subscriber : subscribers)
        subscriber->gate.close();
    // Key-value results come before the closed state: wait for the worker to
    // have posted them (it never waits for the callbacks thread).
    auto drained = std::make_shared<std::promise<void>>();
    auto finished = drained->get_future();
    if (kv_worker_->post([drained] { drained->set_value(); })) finished.wait();
    link_->callbacks->post([link = link_] {
        link->fail_requests();
        link->set_state(BusState::closed);
    });
    ClosureRegistry<Link>::instance().remove(link_closure_);
}

} // namespace natsbus

std::shared_ptr<Bus> connect_nats(NatsOptions options) {
    return std::make_shared<natsbus::NatsBus>(std::move(options));
}

} // namespace nexus::cluster
