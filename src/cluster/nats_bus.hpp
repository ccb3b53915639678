// NatsBus (nexus/cluster/nats.hpp): the Bus on one libnats connection.
//
// Threads. libnats reads the connection on a thread of its own and hands
// messages to its delivery thread, its connection events to another one; none
// of them runs a handler of ours. Each message is posted, as libnats hands it
// over, to the bus's CallbackThread, where every callback of the Bus runs
// (handlers, replies, key-value results, states): so callbacks never run
// inside a call into the bus, never two at once, and in the order libnats
// read them. Key-value operations block in libnats (a JetStream request and
// its answer), so they run one at a time on a worker thread, which posts
// their results to the CallbackThread.
#pragma once

#include <nexus/cluster/nats.hpp>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nats/nats.h>

#include "callback_thread.hpp"
#include "handler_gate.hpp"
#include "jetstream_kv.hpp"

namespace nexus::cluster::natsbus {

/// What the bus shares with libnats's callbacks (found through
/// ClosureRegistry<Link>) and with the tasks it posts.
struct Link {
    std::shared_ptr<CallbackThread> callbacks = std::make_shared<CallbackThread>();
    NatsLogger logger;
    std::string servers; // the URLs, for log lines
    std::string inbox;   // "_INBOX.<unique>": replies come to <inbox>.<request>
    std::chrono::milliseconds reconnect_wait{0};
    std::size_t max_pending = 0;
    std::atomic<std::size_t> pending{0}; // messages posted and not yet handled
    std::atomic<std::uint64_t> dropped{0};
    /// close() was called: reporting the closed state is close()'s.
    std::atomic<bool> closing{false};

    // Only on the callbacks thread.
    BusState state = BusState::disconnected;
    std::function<void(BusState)> on_state;

    std::mutex mutex;
    std::map<std::uint64_t, std::function<void(std::optional<std::string>)>> requests;

    void log(NatsLogLevel level, const std::string& line) const;
    /// On the callbacks thread: a change of state, reported to on_state.
    void set_state(BusState s);
    /// The request's `done`, taken out (empty if it ended already).
    std::function<void(std::optional<std::string>)> take_request(std::uint64_t id);
    /// On the callbacks thread: every pending request ends with no reply.
    void fail_requests();
};

/// A subscription's handler, shared by the subscription, the registry (for
/// libnats's callback) and the deliveries posted for it.
struct Subscriber {
    std::shared_ptr<Link> link;
    HandlerGate gate;
    Bus::MessageHandler handler;
};

/// libnats's callbacks (nats_link.cpp); `closure` is a ClosureRegistry id.
void on_message(natsConnection*, natsSubscription*, natsMsg* msg, void* closure);
void on_reply(natsConnection*, natsSubscription*, natsMsg* msg, void* closure);
void on_connected(natsConnection* nc, void* closure);
void on_disconnected(natsConnection* nc, void* closure);
void on_reconnected(natsConnection* nc, void* closure);
void on_closed(natsConnection* nc, void* closure);
void on_error(natsConnection* nc, natsSubscription* sub, natsStatus err, void* closure);
int64_t reconnect_delay(natsConnection* nc, int attempts, void* closure);

class NatsBus final : public Bus {
public:
    /// Throws std::invalid_argument for options libnats refuses.
    explicit NatsBus(NatsOptions options);
    ~NatsBus() override;

    bool publish(std::string_view subject, std::string_view payload) override;
    std::size_t max_payload() const override;
    std::unique_ptr<BusSubscription> subscribe(std::string_view subject,
                                               MessageHandler handler) override;
    void request(std::string_view subject, std::string_view payload,
                 std::chrono::milliseconds timeout,
                 std::function<void(std::optional<std::string>)> done) override;
    void kv_get(std::string_view bucket, std::string_view key, KvDone done) override;
    void kv_create(std::string_view bucket, std::string_view key, std::string_view value,
                   KvDone done) override;
    void kv_update(std::string_view bucket, std::string_view key, std::string_view value,
                   std::uint64_t expected, KvDone done) override;
    void kv_erase(std::string_view bucket, std::string_view key, std::uint64_t expected,
                  KvDone done) override;
    void
    kv_list(std::string_view bucket,
            std::function<void(KvResult::Status, std::vector<std::pair<std::string, std::string>>)>
                done) override;
    void on_state(std::function<void(BusState)> handler) override;
    void close() override;

private:
    /// Runs `operation` on the key-value worker and `done` with its result on
    /// the callbacks thread; `failed` is the result when it cannot run.
    template <class Result, class Operation, class Done>
    void run_kv(Operation operation, Done done, Result failed);

    const NatsOptions options_;
    const std::shared_ptr<Link> link_;
    void* link_closure_ = nullptr;
    natsConnection* conn_ = nullptr;
    jsCtx* js_ = nullptr;
    natsSubscription* inbox_sub_ = nullptr;
    std::unique_ptr<JetStreamKv> kv_; // used on kv_worker_ only
    std::unique_ptr<CallbackThread> kv_worker_;
    std::atomic<std::uint64_t> next_request_{0};
    std::atomic<bool> closed_{false};

    std::mutex subscribers_mutex_;
    std::vector<std::weak_ptr<Subscriber>> subscribers_; // their handlers stop at close()
};

} // namespace nexus::cluster::natsbus
