// The message fabric a cluster of routers shares (docs/CLUSTER.md): subjects
// with publish/subscribe and request/reply, and key-value buckets with
// compare-and-set. NATS with JetStream provides it in production
// (nexus/cluster/nats.hpp); tests use an in-memory one.
//
// Every callback runs on a thread of the bus's own, never inside a call into
// the bus, and must not block: copy what it needs and return (post to an
// executor). Messages one Bus publishes reach each subscriber in the order
// they were published. A Bus receives its own messages too when it subscribes
// to their subject (as NATS does).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nexus::cluster {

/// A subscription; destroying it (or cancel()) stops its handler, and once
/// cancel() returned the handler no longer runs.
class BusSubscription {
public:
    virtual ~BusSubscription() = default;
    virtual void cancel() = 0;
};

/// What a key-value operation found or did.
struct KvResult {
    enum class Status {
        ok,        // done; `revision` is the key's revision now (or the one read)
        not_found, // get/update/erase of a key that does not exist
        exists,    // create of a key that exists already
        conflict,  // update/erase whose expected revision is not the current one
        error,     // the store could not be reached; `error` says why. A write
                   // that ends so may still have happened (a lost answer).
    };
    // exists and conflict: `value` and `revision` are the key's as read just
    // after the refusal (revision 0 when that read failed).
    Status status = Status::error;
    std::string value;          // get: the value read
    std::uint64_t revision = 0; // ok: the revision written or read
    std::string error;
};

enum class BusState {
    connected,    // connected (again): subscriptions are in force
    disconnected, // the link is down; the bus reconnects by itself
    closed,       // gave up or was closed: no more callbacks but this one
};

class Bus {
public:
    virtual ~Bus() = default;

    // --- messages -------------------------------------------------------------------------

    /// Fire and forget. While disconnected, messages are buffered up to a bound
    /// and then dropped; a false return says this one was not accepted.
    virtual bool publish(std::string_view subject, std::string_view payload) = 0;

    /// The largest payload publish() takes now (NATS: the max_payload of the
    /// server connected to), or 0 while the bus does not know it.
    virtual std::size_t max_payload() const { return 0; }

    using MessageHandler = std::function<void(std::string_view subject, std::string_view payload,
                                              std::string_view reply_to)>;
    /// NATS subject syntax: tokens separated by '.', '*' matches one token, '>'
    /// the rest. `reply_to` is empty unless the sender made a request.
    virtual std::unique_ptr<BusSubscription> subscribe(std::string_view subject,
                                                       MessageHandler handler) = 0;

    /// Sends `payload` to `subject` and calls `done` with the first reply, or
    /// with nullopt after `timeout` or when nobody listens.
    virtual void request(std::string_view subject, std::string_view payload,
                         std::chrono::milliseconds timeout,
                         std::function<void(std::optional<std::string>)> done) = 0;

    // --- key-value ------------------------------------------------------------------------
    // Buckets are created on first use with `max_age` 0 (keys never expire);
    // `done` runs once per call.

    using KvDone = std::function<void(KvResult)>;
    virtual void kv_get(std::string_view bucket, std::string_view key, KvDone done) = 0;
    /// Creates the key only if it does not exist (exactly one of several
    /// concurrent creates succeeds).
    virtual void kv_create(std::string_view bucket, std::string_view key, std::string_view value,
                           KvDone done) = 0;
    /// Writes the key only if its revision is still `expected`.
    virtual void kv_update(std::string_view bucket, std::string_view key, std::string_view value,
                           std::uint64_t expected, KvDone done) = 0;
    /// Removes the key; with `expected` non-zero only at that revision.
    virtual void kv_erase(std::string_view bucket, std::string_view key, std::uint64_t expected,
                          KvDone done) = 0;
    /// Every key of the bucket with its value (status ok with an empty list
    /// for an empty or missing bucket).
    virtual void
    kv_list(std::string_view bucket,
            std::function<void(KvResult::Status, std::vector<std::pair<std::string, std::string>>)>
                done) = 0;

    // --- the link -------------------------------------------------------------------------

    /// Called on every change of state (once with the current state on setting it).
    virtual void on_state(std::function<void(BusState)> handler) = 0;
    /// Stops: pending operations end with Status::error, handlers stop.
    virtual void close() = 0;
};

} // namespace nexus::cluster
