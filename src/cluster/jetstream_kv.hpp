// Key-value buckets on JetStream, with the Bus's semantics (bus.hpp). A
// bucket is a JetStream key-value store ("KV_<bucket>" stream, subjects
// "$KV.<bucket>.<key>", one revision kept per key), made with libnats's
// js_CreateKeyValue so that NATS's own tools see it as one. Writes are
// published here rather than through kvStore_Create/Update/Delete, whose
// answers do not tell a refused compare-and-set from a failure: a JetStream
// publish with an expected last sequence for the key's subject says
// "wrong last sequence" (10071) when the key moved on, and a delete is the
// marker message (header KV-Operation: DEL) that libnats writes too, made
// conditional the same way.
//
// Every call blocks until JetStream answers or the timeout passes: the bus
// makes them on a worker thread of its own, one at a time.
#pragma once

#include <nexus/cluster/bus.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nats/nats.h>

namespace nexus::cluster {

/// A key-value operation that failed, and why.
inline KvResult kv_error(std::string error) {
    KvResult r;
    r.status = KvResult::Status::error;
    r.error = std::move(error);
    return r;
}

class JetStreamKv {
public:
    /// `js` stays the caller's; it must outlive this object.
    JetStreamKv(jsCtx* js, int replicas, std::chrono::milliseconds timeout);
    ~JetStreamKv();
    JetStreamKv(const JetStreamKv&) = delete;
    JetStreamKv& operator=(const JetStreamKv&) = delete;

    KvResult get(const std::string& bucket, const std::string& key);
    KvResult create(const std::string& bucket, const std::string& key, const std::string& value);
    KvResult update(const std::string& bucket, const std::string& key, const std::string& value,
                    std::uint64_t expected);
    KvResult erase(const std::string& bucket, const std::string& key, std::uint64_t expected);
    std::pair<KvResult::Status, std::vector<std::pair<std::string, std::string>>>
    list(const std::string& bucket);

private:
    // What the key's subject holds last.
    struct Read {
        enum class What { value, absent, failed } what = What::failed;
        std::string value;
        std::uint64_t revision = 0; // of the value, or of the delete marker (0: never written)
        std::string error;
    };
    struct Written {
        enum class What { ok, moved_on, failed } what = What::failed;
        std::uint64_t revision = 0;
        std::string error;
    };

    /// The bucket's store, made on first use; nullptr and `error` set if not.
    kvStore* bucket(const std::string& name, std::string& error);
    Read read(const std::string& bucket, const std::string& key);
    /// `expected_last`: the key's subject must hold that sequence last (0:
    /// nothing); nullopt: unconditional.
    Written write(const std::string& bucket, const std::string& key, const std::string& value,
                  bool erase, std::optional<std::uint64_t> expected_last);
    /// Status `refused` (exists or conflict) with what the key holds now, or
    /// not_found if it holds nothing.
    KvResult refused(const std::string& bucket, const std::string& key, KvResult::Status refused);

    jsCtx* const js_;
    const int replicas_;
    const std::chrono::milliseconds timeout_;
    std::map<std::string, kvStore*> buckets_;
};

} // namespace nexus::cluster
