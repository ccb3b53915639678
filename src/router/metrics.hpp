// RouterMetrics: the router's counters (the public view is MetricsSnapshot,
// nexus/router/metrics.hpp).
//
// Hot-path counters (messages, calls, events) live in per-thread shards
// (thread_slot.hpp): a thread only ever writes its own shard, with a plain
// load and store of a relaxed atomic (no locked instruction), and a snapshot
// sums the shards. Rare events (authentication failures, ABORTs) go to maps
// behind a mutex. Per-realm figures are kept by each realm under its own
// lock (RealmStats).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include <nexus/router/metrics.hpp>
#include <nexus/wamp/message.hpp>

#include "router/thread_slot.hpp"

namespace nexus::router {

class RouterMetrics {
public:
    using Clock = std::chrono::steady_clock;

    RouterMetrics() = default;
    ~RouterMetrics();
    RouterMetrics(const RouterMetrics&) = delete;
    RouterMetrics& operator=(const RouterMetrics&) = delete;

    void received(wamp::MessageType type) {
        auto w = writer();
        w.add(w.shard.received[index(type)]);
    }
    void sent(wamp::MessageType type) {
        auto w = writer();
        w.add(w.shard.sent[index(type)]);
    }
    void event_published() { writer().add(&Shard::events_published); }
    void event_delivered() { writer().add(&Shard::events_delivered); }
    void event_dropped() { writer().add(&Shard::events_dropped); }
    void overflow_disconnect() { writer().add(&Shard::overflow_disconnects); }
    void call_refused() { writer().add(&Shard::calls_refused); }
    /// Returns the call's start, for call_finished().
    Clock::time_point call_started() {
        writer().add(&Shard::calls_started);
        return Clock::now();
    }
    void call_finished(CallOutcome outcome, Clock::time_point started);
    /// A message was queued for a peer, whose queue now holds `depth`;
    /// `event`: an EVENT for a subscriber.
    void queued(std::size_t depth, bool event) {
        if (event) event_delivered();
        queue_depth(depth);
    }
    /// A queue reached `depth` messages.
    void queue_depth(std::size_t depth) {
        if (depth > high_water_.load(std::memory_order_relaxed)) raise_high_water(depth);
    }
    void auth_failed(std::string_view method);
    void abort_sent(std::string_view reason);
    void connection_refused(std::string_view listener, std::string_view reason);
    void transferred(NetTransport transport, std::uint64_t received, std::uint64_t sent) {
        const auto t = static_cast<std::size_t>(transport);
        if (t >= net_transport_count) return;
        auto w = writer();
        if (received) w.add(w.shard.bytes_received[t], received);
        if (sent) w.add(w.shard.bytes_sent[t], sent);
    }
    void transport_closed(NetTransport transport, TransportClose why) {
        const auto t = static_cast<std::size_t>(transport);
        const auto c = static_cast<std::size_t>(why);
        if (t >= net_transport_count || c >= transport_close_count) return;
        auto w = writer();
        w.add(w.shard.transport_closes[t][c]);
    }

    /// Everything but MetricsSnapshot::realms.
    MetricsSnapshot snapshot() const;

private:
    using Counter = std::atomic<std::uint64_t>;
    struct alignas(64) Shard {
        std::array<Counter, 71> received{};
        std::array<Counter, 71> sent{};
        Counter events_published{0}, events_delivered{0}, events_dropped{0};
        Counter overflow_disconnects{0};
        Counter calls_started{0}, calls_refused{0};
        std::array<Counter, call_outcome_count> calls_finished{};
        std::array<Counter, call_duration_bounds.size() + 1> duration_buckets{};
        Counter duration_sum_ns{0};
        std::array<Counter, net_transport_count> bytes_received{}, bytes_sent{};
        std::array<std::array<Counter, transport_close_count>, net_transport_count>
            transport_closes{};
    };

    static std::size_t index(wamp::MessageType type) {
        const auto code = static_cast<std::size_t>(type);
        return code < 71 ? code : 0;
    }
    // This thread's shard. The shared slot's writers are many; every other
    // slot has one writer.
    struct Writer {
        Shard& shard;
        bool shared;
        void add(Counter& c, std::uint64_t n = 1) const {
            if (shared)
                c.fetch_add(n, std::memory_order_relaxed);
            else
                c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
        }
        void add(Counter Shard::*member) const { add(shard.*member); }
    };
    Writer writer() {
        const std::size_t slot = thread_slot();
        Shard* s = shards_[slot].load(std::memory_order_acquire);
        return {s ? *s : new_shard(slot), slot == shared_thread_slot};
    }
    Shard& new_shard(std::size_t slot);
    void raise_high_water(std::size_t depth);

    // Made on a thread's first count, freed with the metrics.
    std::array<std::atomic<Shard*>, max_thread_slots> shards_{};
    std::atomic<std::uint64_t> high_water_{0};
    mutable std::mutex rare_mutex_;
    std::map<std::string, std::uint64_t, std::less<>> auth_failures_;
    std::map<std::string, std::uint64_t, std::less<>> aborts_;
    std::map<std::pair<std::string, std::string>, std::uint64_t> connections_refused_;
};

/// A realm's session figures; its owner guards it with the realm lock.
class RealmStats {
public:
    void joined(std::string_view transport, std::string_view protocol);
    void left(std::string_view transport, std::string_view protocol, SessionEnding ending);
    /// Fills the session fields of `out`.
    void read(RealmMetrics& out) const;

private:
    struct Kind {
        std::string transport, serializer;
        std::uint64_t open = 0;
    };
    Kind& kind(std::string_view transport, std::string_view protocol);

    std::uint64_t opened_ = 0;
    std::array<std::uint64_t, session_ending_count> closed_{};
    std::vector<Kind> kinds_; // a handful: linear search
};

/// "json" for "wamp.2.json", "msgpack" for "wamp.2.msgpack", ...; the
/// protocol itself when it is not of that form.
std::string_view serializer_of(std::string_view protocol);

} // namespace nexus::router
