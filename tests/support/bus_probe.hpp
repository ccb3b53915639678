// Test support for cluster::Bus implementations: what their callbacks
// deliver, gathered from the bus's threads and waited for by the test.
#pragma once

#include <nexus/cluster/bus.hpp>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace nexus::test {

using namespace std::chrono_literals;

/// Values handed over by callbacks, in arrival order.
template <class T> class Received {
public:
    void add(T value) {
        std::lock_guard lock(mutex_);
        values_.push_back(std::move(value));
        threads_.push_back(std::this_thread::get_id());
        cv_.notify_all();
    }
    /// Waits until at least `n` arrived; false after `timeout`.
    bool wait_for(std::size_t n, std::chrono::milliseconds timeout = 10s) {
        std::unique_lock lock(mutex_);
        return cv_.wait_for(lock, timeout, [&] { return values_.size() >= n; });
    }
    /// The first value, waiting for it up to `timeout`.
    std::optional<T> first(std::chrono::milliseconds timeout = 10s) {
        if (!wait_for(1, timeout)) return std::nullopt;
        std::lock_guard lock(mutex_);
        return values_.front();
    }
    std::vector<T> values() const {
        std::lock_guard lock(mutex_);
        return values_;
    }
    std::vector<std::thread::id> threads() const {
        std::lock_guard lock(mutex_);
        return threads_;
    }
    std::size_t size() const {
        std::lock_guard lock(mutex_);
        return values_.size();
    }

private:
    mutable std::mutex mutex_;
    std::condition_variable cv_;
    std::vector<T> values_;
    std::vector<std::thread::id> threads_;
};

struct BusMessage {
    std::string subject, payload, reply_to;
    bool operator==(const BusMessage&) const = default;
};

/// A subscription handler that records every message.
inline cluster::Bus::MessageHandler record_into(Received<BusMessage>& into) {
    return [&into](std::string_view subject, std::string_view payload, std::string_view reply) {
        into.add({std::string(subject), std::string(payload), std::string(reply)});
    };
}

/// Runs a key-value call and waits for its result.
template <class Call>
cluster::KvResult kv_wait(Call call, std::chrono::milliseconds timeout = 20s) {
    auto received = std::make_shared<Received<cluster::KvResult>>();
    call([received](cluster::KvResult r) { received->add(std::move(r)); });
    auto r = received->first(timeout);
    if (!r) {
        cluster::KvResult none;
        none.error = "the test gave up waiting";
        return none;
    }
    return *r;
}

using KvEntries = std::vector<std::pair<std::string, std::string>>;

inline std::pair<cluster::KvResult::Status, KvEntries>
kv_list_wait(cluster::Bus& bus, std::string_view bucket, std::chrono::milliseconds timeout = 20s) {
    auto received = std::make_shared<Received<std::pair<cluster::KvResult::Status, KvEntries>>>();
    bus.kv_list(bucket, [received](cluster::KvResult::Status s, KvEntries entries) {
        received->add({s, std::move(entries)});
    });
    auto r = received->first(timeout);
    if (!r) return {cluster::KvResult::Status::error, {}};
    return *r;
}

/// Sends a request and waits for its outcome (nullopt: none came).
inline std::optional<std::optional<std::string>>
request_wait(cluster::Bus& bus, std::string_view subject, std::string_view payload,
             std::chrono::milliseconds timeout, std::chrono::milliseconds wait = 20s) {
    auto received = std::make_shared<Received<std::optional<std::string>>>();
    bus.request(subject, payload, timeout,
                [received](std::optional<std::string> reply) { received->add(std::move(reply)); });
    return received->first(wait);
}

inline const char* status_name(cluster::KvResult::Status s) {
    using S = cluster::KvResult::Status;
    switch (s) {
    case S::ok: return "ok";
    case S::not_found: return "not_found";
    case S::exists: return "exists";
    case S::conflict: return "conflict";
    case S::error: return "error";
    }
    return "?";
}

} // namespace nexus::test

namespace nexus::cluster {
// GoogleTest prints a status by name.
inline void PrintTo(KvResult::Status s, std::ostream* os) { *os << test::status_name(s); }
inline void PrintTo(BusState s, std::ostream* os) {
    *os << (s == BusState::connected      ? "connected"
            : s == BusState::disconnected ? "disconnected"
                                          : "closed");
}
} // namespace nexus::cluster
