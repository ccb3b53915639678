#include "jetstream_kv.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

#include "kv_key.hpp"
#include "nats_error.hpp"

namespace nexus::cluster {

namespace {

using Status = KvResult::Status;

// How often a write that lost a race with another one is tried again before
// the operation ends with an error (each round reads what won).
constexpr int write_rounds = 8;

KvResult with_status(Status status, std::uint64_t revision = 0, std::string value = {}) {
    KvResult r;
    r.status = status;
    r.revision = revision;
    r.value = std::move(value);
    return r;
}

std::string stream_of(const std::string& bucket) { return "KV_" + bucket; }

std::string subject_of(const std::string& bucket, const std::string& key) {
    return "$KV." + bucket + "." + kv_key::encode(key);
}

// Names the Bus refuses before JetStream sees them.
std::optional<std::string> bad_names(const std::string& bucket, const std::string* key) {
    if (!kv_key::valid_bucket(bucket))
        return "invalid bucket name \"" + bucket + "\" (letters, digits, '_' and '-')";
    if (key && key->empty()) return std::string("empty key");
    return std::nullopt;
}

struct MsgDeleter {
    void operator()(natsMsg* m) const { natsMsg_Destroy(m); }
};
using MsgPtr = std::unique_ptr<natsMsg, MsgDeleter>;

} // namespace

JetStreamKv::JetStreamKv(jsCtx* js, int replicas, std::chrono::milliseconds timeout)
    : js_(js), replicas_(std::max(1, replicas)), timeout_(timeout) {}

JetStreamKv::~JetStreamKv() {
    for (auto& [name, store] : buckets_)
        kvStore_Destroy(store);
}

kvStore* JetStreamKv::bucket(const std::string& name, std::string& error) {
    if (auto it = buckets_.find(name); it != buckets_.end()) return it->second;
    kvStore* store = nullptr;
    natsStatus s = js_KeyValue(&store, js_, name.c_str());
    if (s == NATS_NOT_FOUND) {
        kvConfig config;
        kvConfig_Init(&config);
        config.Bucket = name.c_str();
        config.History = 1;
        config.TTL = 0; // keys never expire
        config.StorageType = js_FileStorage;
        config.Replicas = replicas_;
        const natsStatus created = js_CreateKeyValue(&store, js_, &config);
        // Another node may have made it meanwhile (with other replicas: the
        // stream then differs and creating it fails); use the one there is.
        if (created != NATS_OK) {
            const std::string create_error = nats_error(created); // before the next call
            s = js_KeyValue(&store, js_, name.c_str());
            if (s != NATS_OK) {
                // Both failed: why it could not be made is the news.
                error = "key-value bucket \"" + name + "\": cannot create it (" + create_error +
                        "), nor find it (" + nats_error(s) + ")";
                return nullptr;
            }
        } else {
            s = NATS_OK;
        }
    }
    if (s != NATS_OK) {
        error = "key-value bucket \"" + name + "\": " + nats_error(s);
        return nullptr;
    }
    buckets_.emplace(name, store);
    return store;
}

JetStreamKv::Read JetStreamKv::read(const std::string& bucket, const std::string& key) {
    Read r;
    natsMsg* raw = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    jsOptions options;
    jsOptions_Init(&options);
    options.Wait = timeout_.count();
    const natsStatus s = js_GetLastMsg(&raw, js_, stream_of(bucket).c_str(),
                                       subject_of(bucket, key).c_str(), &options, &code);
    MsgPtr msg(raw);
    if (s == NATS_NOT_FOUND || code == JSNoMessageFoundErr) {
        r.what = Read::What::absent;
        return r;
    }
    if (s != NATS_OK) {
        r.error = nats_error(s);
        return r;
    }
    r.revision = natsMsg_GetSequence(msg.get());
    const char* operation = nullptr;
    if (natsMsgHeader_Get(msg.get(), "KV-Operation", &operation) == NATS_OK && operation) {
        const std::string op = operation;
        if (op == "DEL" || op == "PURGE") {
            r.what = Read::What::absent;
            return r;
        }
    }
    r.what = Read::What::value;
    if (natsMsg_GetDataLength(msg.get()) > 0)
        r.value.assign(natsMsg_GetData(msg.get()),
                       static_cast<std::size_t>(natsMsg_GetDataLength(msg.get())));
    return r;
}

JetStreamKv::Written JetStreamKv::write(const std::string& bucket, const std::string& key,
                                        const std::string& value, bool erase,
                                        std::optional<std::uint64_t> expected_last) {
    Written w;
    natsMsg* raw = nullptr;
    natsStatus s = natsMsg_Create(&raw, subject_of(bucket, key).c_str(), nullptr, value.data(),
                                  static_cast<int>(value.size()));
    MsgPtr msg(raw);
    if (s == NATS_OK && erase) s = natsMsgHeader_Set(msg.get(), "KV-Operation", "DEL");
    if (s != NATS_OK) {
        w.error = nats_error(s);
        return w;
    }
    jsPubOptions options;
    jsPubOptions_Init(&options);
    options.MaxWait = timeout_.count();
    options.ExpectStream = nullptr;
    if (expected_last) {
        if (*expected_last == 0)
            options.ExpectNoMessage = true;
        else
            options.ExpectLastSubjectSeq = *expected_last;
    }
    jsPubAck* ack = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    s = js_PublishMsg(&ack, js_, msg.get(), &options, &code);
    // No responders: no stream listens on the key's subject yet. A bucket
    // that another node has just created can be found before its stream
    // takes its subjects (seen with four nodes creating one bucket at once);
    // that passes within milliseconds, so try again for up to the timeout.
    const auto give_up = std::chrono::steady_clock::now() + timeout_;
    for (auto pause = std::chrono::milliseconds(5);
         s == NATS_NO_RESPONDERS && std::chrono::steady_clock::now() + pause < give_up;
         pause = std::min(pause * 2, std::chrono::milliseconds(200))) {
        std::this_thread::sleep_for(pause);
        jsPubAck_Destroy(ack);
        ack = nullptr;
        code = static_cast<jsErrCode>(0);
        s = js_PublishMsg(&ack, js_, msg.get(), &options, &code);
    }
    if (s == NATS_OK) {
        w.what = Written::What::ok;
        w.revision = ack->Sequence;
    } else if (code == JSStreamWrongLastSequenceErr) {
        w.what = Written::What::moved_on;
    } else {
        w.error = nats_error(s);
    }
    jsPubAck_Destroy(ack);
    return w;
}

KvResult JetStreamKv::refused(const std::string& bucket, const std::string& key, Status status) {
    const Read now = read(bucket, key);
    switch (now.what) {
    case Read::What::value: return with_status(status, now.revision, now.value);
    case Read::What::absent: return with_status(Status::not_found);
    case Read::What::failed: {
        KvResult r = with_status(status); // revision 0: the read failed
        r.error = now.error;
        return r;
    }
    }
    return kv_error("unreachable");
}

KvResult JetStreamKv::get(const std::string& bucket, const std::string& key) {
    if (auto bad = bad_names(bucket, &key)) return kv_error(*bad);
    std::string error;
    if (!this->bucket(bucket, error)) return kv_error(error);
    const Read r = read(bucket, key);
    switch (r.what) {
    case Read::What::value: return with_status(Status::ok, r.revision, r.value);
    case Read::What::absent: return with_status(Status::not_found);
    case Read::What::failed: return kv_error(r.error);
    }
    return kv_error("unreachable");
}

KvResult JetStreamKv::create(const std::string& bucket, const std::string& key,
                             const std::string& value) {
    if (auto bad = bad_names(bucket, &key)) return kv_error(*bad);
    std::string error;
    if (!this->bucket(bucket, error)) return kv_error(error);
    // Most keys created were never written: try that first. A key that was
    // erased holds its delete marker, so the write must name that.
    std::uint64_t last = 0;
    for (int round = 0; round < write_rounds; ++round) {
        const Written w = write(bucket, key, value, false, last);
        if (w.what == Written::What::ok) return with_status(Status::ok, w.revision);
        if (w.what == Written::What::failed) return kv_error(w.error);
        const Read now = read(bucket, key);
        if (now.what == Read::What::value)
            return with_status(Status::exists, now.revision, now.value);
        if (now.what == Read::What::failed) {
            KvResult r = with_status(Status::exists);
            r.error = now.error;
            return r;
        }
        last = now.revision;
    }
    return kv_error("the key changed under every attempt to create it");
}

KvResult JetStreamKv::update(const std::string& bucket, const std::string& key,
                             const std::string& value, std::uint64_t expected) {
    if (auto bad = bad_names(bucket, &key)) return kv_error(*bad);
    std::string error;
    if (!this->bucket(bucket, error)) return kv_error(error);
    // No key is at revision 0, and JetStream would take 0 as "never written".
    if (expected == 0) return refused(bucket, key, Status::conflict);
    const Written w = write(bucket, key, value, false, expected);
    switch (w.what) {
    case Written::What::ok: return with_status(Status::ok, w.revision);
    case Written::What::moved_on: return refused(bucket, key, Status::conflict);
    case Written::What::failed: return kv_error(w.error);
    }
    return kv_error("unreachable");
}

KvResult JetStreamKv::erase(const std::string& bucket, const std::string& key,
                            std::uint64_t expected) {
    if (auto bad = bad_names(bucket, &key)) return kv_error(*bad);
    std::string error;
    if (!this->bucket(bucket, error)) return kv_error(error);
    // Read first: a key that holds its delete marker is gone, and JetStream
    // would happily write a second one at the marker's revision.
    for (int round = 0; round < write_rounds; ++round) {
        const Read now = read(bucket, key);
        if (now.what == Read::What::failed) return kv_error(now.error);
        if (now.what == Read::What::absent) return with_status(Status::not_found);
        if (expected != 0 && now.revision != expected)
            return with_status(Status::conflict, now.revision, now.value);
        const Written w = write(bucket, key, {}, true, now.revision);
        if (w.what == Written::What::ok) return with_status(Status::ok, w.revision);
        if (w.what == Written::What::failed) return kv_error(w.error);
        // Moved on between the read and the write: read again.
    }
    return kv_error("the key changed under every attempt to erase it");
}

std::pair<KvResult::Status, std::vector<std::pair<std::string, std::string>>>
JetStreamKv::list(const std::string& bucket) {
    std::vector<std::pair<std::string, std::string>> entries;
    if (bad_names(bucket, nullptr)) return {Status::error, {}};
    std::string error;
    kvStore* store = this->bucket(bucket, error);
    if (!store) return {Status::error, {}};

    kvWatchOptions options;
    kvWatchOptions_Init(&options);
    options.IgnoreDeletes = true;
    kvWatcher* watcher = nullptr;
    natsStatus s = kvStore_WatchAll(&watcher, store, &options);
    if (s != NATS_OK) return {Status::error, {}};
    // The watcher hands over the keys' current values, then a null entry.
    while (true) {
        kvEntry* entry = nullptr;
        s = kvWatcher_Next(&entry, watcher, timeout_.count());
        if (s != NATS_OK || !entry) break;
        if (auto key = kv_key::decode(kvEntry_Key(entry))) {
            std::string value;
            if (kvEntry_ValueLen(entry) > 0)
                value.assign(static_cast<const char*>(kvEntry_Value(entry)),
                             static_cast<std::size_t>(kvEntry_ValueLen(entry)));
            entries.emplace_back(std::move(*key), std::move(value));
        }
        kvEntry_Destroy(entry);
    }
    kvWatcher_Destroy(watcher);
    if (s != NATS_OK) return {Status::error, {}};
    std::sort(entries.begin(), entries.end());
    return {Status::ok, std::move(entries)};
}

} // namespace nexus::cluster
