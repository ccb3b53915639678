#include "memory_bus.hpp"

#include <stdexcept>
#include <utility>

namespace nexus::cluster {

std::shared_ptr<MemoryFabric> MemoryFabric::create(MemoryFabricOptions options) {
    return std::make_shared<memory::Fabric>(options);
}

namespace memory {

namespace {

// A message routed to several subscribers is copied once.
struct Message {
    std::string subject, payload, reply_to;
};

class MemorySubscription final : public BusSubscription {
public:
    MemorySubscription(std::weak_ptr<Fabric> fabric, std::uint64_t id,
                       std::shared_ptr<Subscriber> subscriber)
        : fabric_(std::move(fabric)), id_(id), subscriber_(std::move(subscriber)) {}
    ~MemorySubscription() override { cancel(); }

    void cancel() override {
        if (id_ != 0) {
            if (auto fabric = fabric_.lock()) fabric->unsubscribe(id_);
            id_ = 0;
        }
        subscriber_->gate.close();
    }

private:
    std::weak_ptr<Fabric> fabric_;
    std::uint64_t id_; // 0: not in the fabric
    std::shared_ptr<Subscriber> subscriber_;
};

KvResult kv_error(std::string why) {
    KvResult r;
    r.status = KvResult::Status::error;
    r.error = std::move(why);
    return r;
}

KvResult kv_status(KvResult::Status status, const KvValue* current = nullptr) {
    KvResult r;
    r.status = status;
    if (current) {
        r.value = current->value;
        r.revision = current->revision;
    }
    return r;
}

} // namespace

// --- Fabric -----------------------------------------------------------------------------------

Fabric::Fabric(MemoryFabricOptions options) : options_(options) {}

std::shared_ptr<MemoryBus> Fabric::connect(std::string name) {
    std::uint64_t id = 0;
    {
        std::lock_guard lock(mutex_);
        id = next_id_++;
        if (name.empty()) name = "endpoint-" + std::to_string(id);
        EndpointEntry& entry = endpoints_[id];
        entry.name = name;
        entry.thread = std::make_shared<CallbackThread>();
    }
    return std::make_shared<Endpoint>(shared_from_this(), id, std::move(name));
}

MemoryFabricStats Fabric::stats() const {
    std::lock_guard lock(mutex_);
    return stats_;
}

Fabric::EndpointEntry* Fabric::find(std::uint64_t id) {
    auto it = endpoints_.find(id);
    return it == endpoints_.end() ? nullptr : &it->second;
}

std::size_t Fabric::route(std::string_view subject, std::string_view payload,
                          std::string_view reply_to) {
    ++stats_.published;
    if (auto pending = requests_.find(std::string(subject)); pending != requests_.end()) {
        EndpointEntry* requester = find(pending->second.endpoint);
        // A reply to an endpoint whose link is down is lost, as NATS loses it;
        // its request then times out.
        if (requester && requester->link == Link::up) {
            requester->thread->post(
                [done = std::move(pending->second.done), answer = std::string(payload)]() mutable {
                    done(std::move(answer));
                });
            requests_.erase(pending);
        }
    }
    std::shared_ptr<const Message> message;
    std::size_t receivers = 0;
    for (auto& [id, sub] : subscriptions_) {
        EndpointEntry* endpoint = find(sub.endpoint);
        if (!endpoint || endpoint->link != Link::up || !sub.pattern.matches(subject)) continue;
        if (!message)
            message = std::make_shared<const Message>(
                Message{std::string(subject), std::string(payload), std::string(reply_to)});
        endpoint->thread->post([subscriber = sub.subscriber, message] {
            subscriber->gate.run([&] {
                subscriber->handler(message->subject, message->payload, message->reply_to);
            });
        });
        ++receivers;
        ++stats_.delivered;
    }
    return receivers;
}

void Fabric::send_request(const std::string& inbox, std::string_view subject,
                          std::string_view payload) {
    if (route(subject, payload, inbox) > 0) return;
    // No responders: the requester hears so at once, not after its timeout.
    auto pending = requests_.find(inbox);
    if (pending == requests_.end()) return;
    if (EndpointEntry* requester = find(pending->second.endpoint))
        requester->thread->post([done = std::move(pending->second.done)] { done(std::nullopt); });
    requests_.erase(pending);
}

void Fabric::post_state(EndpointEntry& endpoint, BusState state) {
    if (endpoint.on_state)
        endpoint.thread->post([handler = endpoint.on_state, state] { handler(state); });
}

std::vector<std::shared_ptr<Subscriber>> Fabric::drop_subscriptions(std::uint64_t endpoint) {
    std::vector<std::shared_ptr<Subscriber>> dropped;
    for (auto it = subscriptions_.begin(); it != subscriptions_.end();) {
        if (it->second.endpoint == endpoint) {
            dropped.push_back(std::move(it->second.subscriber));
            it = subscriptions_.erase(it);
        } else {
            ++it;
        }
    }
    return dropped;
}

std::vector<Fabric::PendingRequest> Fabric::drop_requests(std::uint64_t endpoint) {
    std::vector<PendingRequest> dropped;
    for (auto it = requests_.begin(); it != requests_.end();) {
        if (it->second.endpoint == endpoint) {
            dropped.push_back(std::move(it->second));
            it = requests_.erase(it);
        } else {
            ++it;
        }
    }
    return dropped;
}

bool Fabric::publish(std::uint64_t from, std::string_view subject, std::string_view payload) {
    if (!subject::valid_literal(subject) || payload.size() > options_.max_payload) return false;
    std::lock_guard lock(mutex_);
    EndpointEntry* self = find(from);
    if (!self) return false;
    switch (self->link) {
    case Link::up: route(subject, payload, {}); return true;
    case Link::down:
        if (self->kept.size() >= options_.reconnect_buffer) return false;
        self->kept.push_back({std::string(subject), std::string(payload), {}});
        return true;
    case Link::closed:
    case Link::lost: return false;
    }
    return false;
}

std::uint64_t Fabric::subscribe(std::uint64_t from, std::string_view pattern,
                                std::shared_ptr<Subscriber> subscriber) {
    std::lock_guard lock(mutex_);
    EndpointEntry* self = find(from);
    if (!self || self->link == Link::closed || self->link == Link::lost) return 0;
    const std::uint64_t id = next_id_++;
    subscriptions_.emplace(
        id, SubscriptionEntry{from, subject::Pattern(pattern), std::move(subscriber)});
    return id;
}

void Fabric::unsubscribe(std::uint64_t subscription) {
    std::shared_ptr<Subscriber> dropped; // released outside the lock
    std::lock_guard lock(mutex_);
    auto it = subscriptions_.find(subscription);
    if (it == subscriptions_.end()) return;
    dropped = std::move(it->second.subscriber);
    subscriptions_.erase(it);
}

void Fabric::request(std::uint64_t from, std::string_view subject, std::string_view payload,
                     std::chrono::milliseconds timeout,
                     std::function<void(std::optional<std::string>)> done) {
    std::lock_guard lock(mutex_);
    EndpointEntry* self = find(from);
    if (!self || self->link == Link::lost) return;
    const auto fail_now = [&] {
        self->thread->post([done = std::move(done)] { done(std::nullopt); });
    };
    if (self->link == Link::closed || !subject::valid_literal(subject) ||
        payload.size() > options_.max_payload)
        return fail_now();
    if (self->link == Link::down && self->kept.size() >= options_.reconnect_buffer)
        return fail_now();

    const std::string inbox = "_INBOX." + std::to_string(from) + "." + std::to_string(next_id_++);
    requests_.emplace(inbox, PendingRequest{from, std::move(done)});
    self->thread->post_at(CallbackThread::Clock::now() + timeout, [weak = weak_from_this(), inbox] {
        auto fabric = weak.lock();
        if (!fabric) return;
        std::function<void(std::optional<std::string>)> expired;
        {
            std::lock_guard lock(fabric->mutex_);
            auto it = fabric->requests_.find(inbox);
            if (it == fabric->requests_.end()) return;
            expired = std::move(it->second.done);
            fabric->requests_.erase(it);
        }
        expired(std::nullopt);
    });
    if (self->link == Link::up)
        send_request(inbox, subject, payload);
    else
        self->kept.push_back({std::string(subject), std::string(payload), inbox});
}

void Fabric::kv(std::uint64_t from, std::string_view bucket, std::string_view key,
                const KvOperation& operation, Bus::KvDone done) {
    std::lock_guard lock(mutex_);
    EndpointEntry* self = find(from);
    if (!self || self->link == Link::lost) return;
    KvResult result;
    if (self->link == Link::closed)
        result = kv_error("the bus is closed");
    else if (self->link == Link::down)
        result = kv_error("the bus is disconnected");
    else if (bucket.empty())
        result = kv_error("empty bucket name");
    else if (key.empty())
        result = kv_error("empty key");
    else {
        auto it = buckets_.find(bucket);
        if (it == buckets_.end()) it = buckets_.emplace(std::string(bucket), Bucket{}).first;
        result = operation(it->second);
    }
    self->thread->post([done = std::move(done), result = std::move(result)]() mutable {
        done(std::move(result));
    });
}

void Fabric::kv_list(
    std::uint64_t from, std::string_view bucket,
    std::function<void(KvResult::Status, std::vector<std::pair<std::string, std::string>>)> done) {
    std::lock_guard lock(mutex_);
    EndpointEntry* self = find(from);
    if (!self || self->link == Link::lost) return;
    KvResult::Status status = KvResult::Status::ok;
    std::vector<std::pair<std::string, std::string>> entries;
    if (self->link != Link::up || bucket.empty()) {
        status = KvResult::Status::error;
    } else if (auto it = buckets_.find(bucket); it != buckets_.end()) {
        for (const auto& [key, value] : it->second.keys)
            entries.emplace_back(key, value.value);
    }
    self->thread->post([done = std::move(done), status, entries = std::move(entries)]() mutable {
        done(status, std::move(entries));
    });
}

void Fabric::on_state(std::uint64_t from, std::function<void(BusState)> handler) {
    std::lock_guard lock(mutex_);
    EndpointEntry* self = find(from);
    if (!self || self->link == Link::lost) return;
    self->on_state = std::move(handler);
    post_state(*self, self->link == Link::up     ? BusState::connected
                      : self->link == Link::down ? BusState::disconnected
                                                 : BusState::closed);
}

void Fabric::disconnect(std::uint64_t from) {
    std::lock_guard lock(mutex_);
    EndpointEntry* self = find(from);
    if (!self || self->link != Link::up) return;
    self->link = Link::down;
    post_state(*self, BusState::disconnected);
}

void Fabric::reconnect(std::uint64_t from) {
    std::lock_guard lock(mutex_);
    EndpointEntry* self = find(from);
    if (!self || self->link != Link::down) return;
    self->link = Link::up;
    post_state(*self, BusState::connected);
    auto kept = std::move(self->kept);
    self->kept.clear();
    for (const Outgoing& m : kept) {
        if (m.reply_to.empty())
            route(m.subject, m.payload, {});
        else if (requests_.contains(m.reply_to))
            send_request(m.reply_to, m.subject, m.payload);
    }
}

void Fabric::close(std::uint64_t from) {
    std::vector<std::shared_ptr<Subscriber>> subscribers;
    {
        std::lock_guard lock(mutex_);
        EndpointEntry* self = find(from);
        if (!self || self->link == Link::closed || self->link == Link::lost) return;
        self->link = Link::closed;
        self->kept.clear();
        subscribers = drop_subscriptions(from);
        for (PendingRequest& pending : drop_requests(from))
            self->thread->post([done = std::move(pending.done)] { done(std::nullopt); });
        post_state(*self, BusState::closed);
        self->on_state = nullptr;
    }
    for (auto& subscriber : subscribers)
        subscriber->gate.close();
}

void Fabric::lose(std::uint64_t from) {
    std::vector<std::shared_ptr<Subscriber>> subscribers;
    std::vector<PendingRequest> requests;
    std::shared_ptr<CallbackThread> thread;
    std::function<void(BusState)> state_handler;
    {
        std::lock_guard lock(mutex_);
        EndpointEntry* self = find(from);
        if (!self || self->link == Link::lost) return;
        self->link = Link::lost;
        self->kept.clear();
        subscribers = drop_subscriptions(from);
        requests = drop_requests(from);
        state_handler = std::move(self->on_state);
        self->on_state = nullptr;
        thread = self->thread;
    }
    thread->stop(false);
    for (auto& subscriber : subscribers)
        subscriber->gate.close();
}

std::shared_ptr<CallbackThread> Fabric::remove(std::uint64_t from) {
    std::lock_guard lock(mutex_);
    auto it = endpoints_.find(from);
    if (it == endpoints_.end()) return nullptr;
    auto thread = std::move(it->second.thread);
    endpoints_.erase(it);
    return thread;
}

// --- Endpoint ---------------------------------------------------------------------------------

Endpoint::Endpoint(std::shared_ptr<Fabric> fabric, std::uint64_t id, std::string name)
    : fabric_(std::move(fabric)), id_(id), name_(std::move(name)) {}

Endpoint::~Endpoint() {
    fabric_->close(id_);
    // Runs what close() queued (failed requests, the closed state), then ends.
    if (auto thread = fabric_->remove(id_)) thread->stop(true);
}

bool Endpoint::publish(std::string_view subject, std::string_view payload) {
    return fabric_->publish(id_, subject, payload);
}

std::unique_ptr<BusSubscription> Endpoint::subscribe(std::string_view subject,
                                                     MessageHandler handler) {
    if (!subject::valid_pattern(subject))
        throw std::invalid_argument("not a valid subject: \"" + std::string(subject) + "\"");
    auto subscriber = std::make_shared<Subscriber>();
    subscriber->handler = std::move(handler);
    const std::uint64_t id = fabric_->subscribe(id_, subject, subscriber);
    return std::make_unique<MemorySubscription>(fabric_, id, std::move(subscriber));
}

void Endpoint::request(std::string_view subject, std::string_view payload,
                       std::chrono::milliseconds timeout,
                       std::function<void(std::optional<std::string>)> done) {
    fabric_->request(id_, subject, payload, timeout, std::move(done));
}

void Endpoint::kv_get(std::string_view bucket, std::string_view key, KvDone done) {
    fabric_->kv(
        id_, bucket, key,
        [key](Bucket& b) {
            auto it = b.keys.find(key);
            if (it == b.keys.end()) return kv_status(KvResult::Status::not_found);
            return kv_status(KvResult::Status::ok, &it->second);
        },
        std::move(done));
}

void Endpoint::kv_create(std::string_view bucket, std::string_view key, std::string_view value,
                         KvDone done) {
    fabric_->kv(
        id_, bucket, key,
        [key, value](Bucket& b) {
            auto it = b.keys.find(key);
            if (it != b.keys.end()) return kv_status(KvResult::Status::exists, &it->second);
            KvValue& v = b.keys[std::string(key)];
            v.value = std::string(value);
            v.revision = ++b.last_revision;
            KvResult r = kv_status(KvResult::Status::ok);
            r.revision = v.revision;
            return r;
        },
        std::move(done));
}

void Endpoint::kv_update(std::string_view bucket, std::string_view key, std::string_view value,
                         std::uint64_t expected, KvDone done) {
    fabric_->kv(
        id_, bucket, key,
        [key, value, expected](Bucket& b) {
            auto it = b.keys.find(key);
            if (it == b.keys.end()) return kv_status(KvResult::Status::not_found);
            if (it->second.revision != expected)
                return kv_status(KvResult::Status::conflict, &it->second);
            it->second.value = std::string(value);
            it->second.revision = ++b.last_revision;
            KvResult r = kv_status(KvResult::Status::ok);
            r.revision = it->second.revision;
            return r;
        },
        std::move(done));
}

void Endpoint::kv_erase(std::string_view bucket, std::string_view key, std::uint64_t expected,
                        KvDone done) {
    fabric_->kv(
        id_, bucket, key,
        [key, expected](Bucket& b) {
            auto it = b.keys.find(key);
            if (it == b.keys.end()) return kv_status(KvResult::Status::not_found);
            if (expected != 0 && it->second.revision != expected)
                return kv_status(KvResult::Status::conflict, &it->second);
            b.keys.erase(it);
            KvResult r = kv_status(KvResult::Status::ok);
            r.revision = ++b.last_revision; // the deletion's own revision, as in JetStream
            return r;
        },
        std::move(done));
}

void Endpoint::kv_list(
    std::string_view bucket,
    std::function<void(KvResult::Status, std::vector<std::pair<std::string, std::string>>)> done) {
    fabric_->kv_list(id_, bucket, std::move(done));
}

void Endpoint::on_state(std::function<void(BusState)> handler) {
    fabric_->on_state(id_, std::move(handler));
}

void Endpoint::close() { fabric_->close(id_); }
void Endpoint::disconnect() { fabric_->disconnect(id_); }
void Endpoint::reconnect() { fabric_->reconnect(id_); }
void Endpoint::lose() { fabric_->lose(id_); }

} // namespace memory
} // namespace nexus::cluster
