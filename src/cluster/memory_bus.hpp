// The in-memory fabric (nexus/cluster/memory_bus.hpp): one lock guards the
// whole fabric (endpoints, subscriptions, pending requests, buckets), so that
// every message is routed, and every key-value operation done, at one point
// in a single order. Handlers run on each endpoint's CallbackThread.
#pragma once

#include <nexus/cluster/memory_bus.hpp>

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "callback_thread.hpp"
#include "handler_gate.hpp"
#include "subject.hpp"

namespace nexus::cluster::memory {

/// A subscription's handler, shared by the subscription, the fabric and the
/// deliveries queued for it.
struct Subscriber {
    HandlerGate gate;
    Bus::MessageHandler handler;
};

struct KvValue {
    std::string value;
    std::uint64_t revision = 0;
};

/// A key-value bucket: revisions count every write to it, as a JetStream
/// stream's sequence does.
struct Bucket {
    std::uint64_t last_revision = 0;
    std::map<std::string, KvValue, std::less<>> keys;
};

class Fabric final : public MemoryFabric, public std::enable_shared_from_this<Fabric> {
public:
    explicit Fabric(MemoryFabricOptions options);

    std::shared_ptr<MemoryBus> connect(std::string name) override;
    MemoryFabricStats stats() const override;
    std::size_t max_payload() const { return options_.max_payload; }

    // What the endpoint with id `from` does (see Endpoint).
    bool publish(std::uint64_t from, std::string_view subject, std::string_view payload);
    std::uint64_t subscribe(std::uint64_t from, std::string_view pattern,
                            std::shared_ptr<Subscriber> subscriber);
    void unsubscribe(std::uint64_t subscription);
    void request(std::uint64_t from, std::string_view subject, std::string_view payload,
                 std::chrono::milliseconds timeout,
                 std::function<void(std::optional<std::string>)> done);
    using KvOperation = std::function<KvResult(Bucket&)>;
    void kv(std::uint64_t from, std::string_view bucket, std::string_view key,
            const KvOperation& operation, Bus::KvDone done);
    void
    kv_list(std::uint64_t from, std::string_view bucket,
            std::function<void(KvResult::Status, std::vector<std::pair<std::string, std::string>>)>
                done);
    void on_state(std::uint64_t from, std::function<void(BusState)> handler);
    void disconnect(std::uint64_t from);
    void reconnect(std::uint64_t from);
    void close(std::uint64_t from);
    void lose(std::uint64_t from);
    /// Forgets a closed or lost endpoint; returns its thread to be stopped.
    std::shared_ptr<CallbackThread> remove(std::uint64_t from);

private:
    enum class Link { up, down, closed, lost };
    struct Outgoing {
        std::string subject, payload, reply_to;
    };
    struct EndpointEntry {
        std::string name;
        std::shared_ptr<CallbackThread> thread;
        Link link = Link::up;
        std::deque<Outgoing> kept; // published while down
        std::function<void(BusState)> on_state;
    };
    struct SubscriptionEntry {
        std::uint64_t endpoint;
        subject::Pattern pattern;
        std::shared_ptr<Subscriber> subscriber;
    };
    struct PendingRequest {
        std::uint64_t endpoint;
        std::function<void(std::optional<std::string>)> done;
    };

    // All below with mutex_ held.
    std::size_t route(std::string_view subject, std::string_view payload,
                      std::string_view reply_to);
    void send_request(const std::string& inbox, std::string_view subject, std::string_view payload);
    void post_state(EndpointEntry& endpoint, BusState state);
    std::vector<std::shared_ptr<Subscriber>> drop_subscriptions(std::uint64_t endpoint);
    std::vector<PendingRequest> drop_requests(std::uint64_t endpoint);
    EndpointEntry* find(std::uint64_t id);

    const MemoryFabricOptions options_;
    mutable std::mutex mutex_;
    std::uint64_t next_id_ = 1;
    std::map<std::uint64_t, EndpointEntry> endpoints_;
    std::map<std::uint64_t, SubscriptionEntry> subscriptions_;
    std::map<std::string, PendingRequest> requests_; // by reply subject
    std::map<std::string, Bucket, std::less<>> buckets_;
    MemoryFabricStats stats_;
};

class Endpoint final : public MemoryBus {
public:
    Endpoint(std::shared_ptr<Fabric> fabric, std::uint64_t id, std::string name);
    ~Endpoint() override;

    bool publish(std::string_view subject, std::string_view payload) override;
    std::size_t max_payload() const override { return fabric_->max_payload(); }
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

    void disconnect() override;
    void reconnect() override;
    void lose() override;
    const std::string& name() const override { return name_; }

private:
    const std::shared_ptr<Fabric> fabric_;
    const std::uint64_t id_;
    const std::string name_;
};

} // namespace nexus::cluster::memory
