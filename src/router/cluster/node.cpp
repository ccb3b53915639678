#include "router/cluster/node.hpp"

#include <algorithm>
#include <future>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>

#include <nexus/wamp/id.hpp>

#include "router/cluster/outbox.hpp"

namespace nexus::router::cluster {

namespace asio = boost::asio;
using wamp::Array;
using wamp::Value;

namespace {

// Events beyond this many waiting to go out are dropped (counted and logged):
// a bus that cannot keep up is a slow peer (DESIGN.md).
constexpr std::size_t max_droppable_backlog = 100'000;

std::uint64_t incarnation_id() {
    return (std::uint64_t(wamp::random_id()) << 11) ^ wamp::random_id();
}

const std::string* string_at(const Array& a, std::size_t i) {
    return a.size() > i ? a[i].if_string() : nullptr;
}

} // namespace

Node::Node(ClusterConfig config, asio::any_io_executor executor, RouterLogger logger)
    : config_(std::move(config)), logger_(std::move(logger)), incarnation_(incarnation_id()),
      strand_(asio::make_strand(executor)), timer_(strand_) {}

Node::~Node() = default;

std::string Node::subject(std::string_view suffix) const {
    return config_.prefix + "." + std::string(suffix);
}

void Node::log(RouterLogLevel level, const std::string& line) const {
    if (logger_) logger_(level, "cluster node " + config_.node_name + ": " + line);
}

void Node::start(RealmLookup lookup, RealmList realms) {
    lookup_ = std::move(lookup);
    realms_ = std::move(realms);
    std::weak_ptr<Node> weak = weak_from_this();
    const auto handler = [weak](std::string_view subject, std::string_view payload,
                                std::string_view reply_to) {
        auto self = weak.lock();
        if (!self) return;
        auto bytes = std::make_shared<const std::string>(payload);
        asio::post(self->strand_,
                   [self, s = std::string(subject), bytes, r = std::string(reply_to)]() mutable {
                       self->on_bus(std::move(s), std::move(bytes), std::move(r));
                   });
    };
    auto& bus = *config_.bus;
    subscriptions_.push_back(bus.subscribe(subject("hb"), handler));
    subscriptions_.push_back(bus.subscribe(subject("dir"), handler));
    subscriptions_.push_back(bus.subscribe(subject("node." + config_.node_name), handler));
    subscriptions_.push_back(bus.subscribe(subject("snap." + config_.node_name), handler));
    bus.on_state([weak](nexus::cluster::BusState state) {
        auto self = weak.lock();
        if (!self) return;
        asio::post(self->strand_, [self, state] {
            if (self->stopped_) return;
            if (state == nexus::cluster::BusState::connected) {
                self->log(RouterLogLevel::info, "connected to the bus");
                self->connected_since_ =
                    std::chrono::steady_clock::now().time_since_epoch().count();
                self->connected_ = true;
                // Silence while this node was cut off says nothing of the others.
                for (auto& [name, p] : self->peers_)
                    p.last_heard = std::chrono::steady_clock::now();
                for (auto& [uri, realm] : self->realms_())
                    realm->cluster_reconnected();
                self->beat();
            } else if (state == nexus::cluster::BusState::disconnected) {
                self->connected_ = false;
                self->log(RouterLogLevel::warning,
                          "lost the bus; serving local clients, reconnecting");
            }
        });
    });
    asio::post(strand_, [self = shared_from_this()] {
        self->beat();
        self->tick();
    });
}

void Node::stop() {
    if (stopped_.exchange(true)) return;
    // Once cancel() returned the bus runs no handler of ours; what is already
    // posted to the strand sees stopped_.
    for (auto& s : subscriptions_)
        s->cancel();
    subscriptions_.clear();
    asio::post(strand_, [self = shared_from_this()] {
        self->timer_.cancel();
        // What the realms queued on their way out (their sessions leaving),
        // then goodbye.
        self->drain(true);
        auto bye =
            encode(Kind::heartbeat, Array{Value(self->config_.node_name), Value(self->incarnation_),
                                          Value(self->sequence_), Value(true)});
        if (bye) self->config_.bus->publish(self->subject("hb"), *bye);
    });
}

// --- outbound ---------------------------------------------------------------------------

void Node::announce(const std::string& realm, Array change) {
    Outbound out;
    out.broadcast = true;
    out.kind = Kind::directory;
    out.head = {Value(realm), Value(std::move(change))};
    enqueue(std::move(out), false);
}

void Node::send(std::uint32_t node, Kind kind, Array head, std::optional<wamp::Message> message,
                bool droppable) {
    Outbound out;
    out.nodes = {node};
    out.kind = kind;
    out.head = std::move(head);
    out.message = std::move(message);
    enqueue(std::move(out), droppable);
}

void Node::send_to_all(const std::vector<std::uint32_t>& nodes, Kind kind, Array head,
                       std::optional<wamp::Message> message, bool droppable) {
    if (nodes.empty()) return;
    Outbound out;
    out.nodes = nodes;
    out.kind = kind;
    out.head = std::move(head);
    out.message = std::move(message);
    enqueue(std::move(out), droppable);
}

void Node::enqueue(Outbound out, bool droppable) {
    bool start = false;
    {
        std::lock_guard lock(mutex_);
        if (droppable) {
            if (droppable_queued_ >= max_droppable_backlog) {
                if (dropped_++ % 10'000 == 0)
                    log(RouterLogLevel::warning,
                        "the bus does not keep up: events to other nodes dropped (" +
                            std::to_string(dropped_) + " so far)");
                return;
            }
            ++droppable_queued_;
        }
        out.head.emplace_back(droppable); // popped by drain()
        outbound_.push_back(std::move(out));
        start = !draining_;
        draining_ = true;
    }
    if (start) asio::post(strand_, [self = shared_from_this()] { self->drain(false); });
}

void Node::drain(bool last) {
    std::deque<Outbound> batch;
    {
        std::lock_guard lock(mutex_);
        batch.swap(outbound_);
        draining_ = false;
    }
    if (stopped_ && !last) return;
    auto& bus = *config_.bus;
    Outbox outbox(bus.max_payload(), [&bus](const std::string& to, std::string_view bytes) {
        return bus.publish(to, bytes);
    });
    std::size_t refused = 0;
    // Every node hears the directory subject and its own. Sending what was
    // queued for either before switching to the other keeps what each node
    // receives in the order it was queued, across the two subjects too.
    bool broadcasting = false;
    for (Outbound& out : batch) {
        const bool droppable = out.head.back().as_bool();
        out.head.pop_back();
        if (droppable) {
            std::lock_guard lock(mutex_);
            --droppable_queued_;
        }
        // Every message names its sender (and its incarnation) first.
        Array head;
        head.reserve(out.head.size() + 3);
        head.emplace_back(config_.node_name);
        head.emplace_back(incarnation_);
        if (out.broadcast) head.emplace_back(++sequence_);
        for (Value& v : out.head)
            head.push_back(std::move(v));
        auto bytes = encode(out.kind, head, out.message ? &*out.message : nullptr);
        if (!bytes) {
            log(RouterLogLevel::error, "cannot encode a cluster message: " + bytes.error().message);
            continue;
        }
        if (out.broadcast != broadcasting) {
            refused += outbox.flush();
            broadcasting = out.broadcast;
        }
        auto shared = std::make_shared<const std::string>(std::move(*bytes));
        if (out.broadcast) {
            outbox.add(subject("dir"), std::move(shared), reads_batches({}));
            continue;
        }
        for (std::uint32_t index : out.nodes) {
            const std::string to = name_of(index);
            if (!to.empty()) outbox.add(subject("node." + to), shared, reads_batches(to));
        }
    }
    refused += outbox.flush();
    if (refused) {
        std::lock_guard lock(mutex_);
        dropped_ += refused;
    }
}

bool Node::reads_batches(const std::string& name) const {
    if (!name.empty()) {
        auto it = peers_.find(name);
        return it != peers_.end() && it->second.reads_batches;
    }
    return std::all_of(peers_.begin(), peers_.end(),
                       [](const auto& p) { return p.second.reads_batches; });
}

bool Node::settled() const {
    if (!connected_) return false;
    const auto since = std::chrono::steady_clock::time_point(
        std::chrono::steady_clock::duration(connected_since_.load()));
    return std::chrono::steady_clock::now() - since > config_.node_timeout + config_.heartbeat;
}

std::uint64_t Node::dropped() const {
    std::lock_guard lock(mutex_);
    return dropped_;
}

// --- the node table ---------------------------------------------------------------------

std::vector<NodeRef> Node::peers() const {
    std::lock_guard lock(mutex_);
    std::vector<NodeRef> out;
    for (const auto& [index, name] : names_)
        out.push_back({index, name});
    return out;
}

std::string Node::name_of(std::uint32_t index) const {
    std::lock_guard lock(mutex_);
    auto it = names_.find(index);
    return it == names_.end() ? std::string() : it->second;
}

std::optional<std::uint32_t> Node::index_of(const std::string& name) const {
    std::lock_guard lock(mutex_);
    for (const auto& [index, n] : names_)
        if (n == name) return index;
    return std::nullopt;
}

Node::Peer& Node::peer(const std::string& name, std::uint64_t incarnation) {
    auto it = peers_.find(name);
    if (it != peers_.end() && it->second.incarnation != incarnation) {
        log(RouterLogLevel::info, "node " + name + " restarted");
        forget(name);
        it = peers_.end();
    }
    if (it == peers_.end()) {
        Peer p;
        p.index = next_index_++;
        p.incarnation = incarnation;
        p.last_heard = std::chrono::steady_clock::now();
        {
            std::lock_guard lock(mutex_);
            names_[p.index] = name;
        }
        it = peers_.emplace(name, std::move(p)).first;
        log(RouterLogLevel::info, "node " + name + " joined");
        ask_snapshot(name);
    }
    return it->second;
}

void Node::forget(const std::string& name) {
    auto it = peers_.find(name);
    if (it == peers_.end()) return;
    const NodeRef ref{it->second.index, name};
    const bool elected = elected_for(name);
    peers_.erase(it);
    for (auto& [uri, realm] : realms_())
        realm->cluster_node_gone(ref, elected);
    std::lock_guard lock(mutex_);
    names_.erase(ref.index);
}

// The live node with the smallest name (this one included) cleans up after a
// gone node: one node does it, and every node agrees which.
bool Node::elected_for(const std::string& gone) const {
    std::string smallest = config_.node_name;
    for (const auto& [name, p] : peers_)
        if (name != gone && name < smallest) smallest = name;
    return smallest == config_.node_name;
}

void Node::beat() {
    if (stopped_) return;
    auto bytes =
        encode(Kind::heartbeat, Array{Value(config_.node_name), Value(incarnation_),
                                      Value(sequence_), Value(false), Value(batch_version)});
    if (bytes) config_.bus->publish(subject("hb"), *bytes);
}

void Node::tick() {
    if (stopped_) return;
    beat();
    const auto now = std::chrono::steady_clock::now();
    std::vector<std::string> silent;
    // Cut off from the bus, this node hears nobody: that proves nothing.
    if (connected_)
        for (const auto& [name, p] : peers_)
            if (now - p.last_heard > config_.node_timeout) silent.push_back(name);
    for (const std::string& name : silent) {
        log(RouterLogLevel::warning, "node " + name + " is gone (silent for more than " +
                                         std::to_string(config_.node_timeout.count()) + " ms)");
        forget(name);
    }
    if (connected_ && !peers_.empty())
        for (auto& [uri, realm] : realms_())
            realm->cluster_probe(now - config_.heartbeat);
    timer_.expires_after(config_.heartbeat);
    timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
        if (!ec) self->tick();
    });
}

void Node::refresh() {
    asio::post(strand_, [self = shared_from_this()] {
        for (auto& [name, p] : self->peers_)
            self->ask_snapshot(name);
    });
}

// --- inbound ----------------------------------------------------------------------------

void Node::on_bus(std::string subject_name, std::shared_ptr<const std::string> payload,
                  std::string reply_to) {
    if (stopped_) return;
    auto decoded = decode(payload);
    if (!decoded) {
        log(RouterLogLevel::warning,
            "undecodable message on " + subject_name + ": " + decoded.error().message);
        return;
    }
    if (decoded->kind != Kind::batch)
        return on_envelope(subject_name, std::move(*decoded), reply_to);
    // Every envelope is decoded before any is handled: a malformed batch
    // (a bug, or someone else publishing on our subjects) goes whole, rather
    // than leaving a hole in the middle of one sender's sequence.
    auto parts = split_batch(*payload);
    if (!parts) {
        log(RouterLogLevel::warning,
            "malformed batch on " + subject_name + " dropped: " + parts.error().message);
        return;
    }
    std::vector<Envelope> envelopes;
    envelopes.reserve(parts->size());
    for (std::string_view part : *parts) {
        auto e = decode(payload, part);
        if (e && e->kind == Kind::batch) e = wamp::Failure{"a batch inside the batch"};
        if (!e) {
            log(RouterLogLevel::warning,
                "malformed batch on " + subject_name + " dropped: envelope " +
                    std::to_string(envelopes.size() + 1) + " of " + std::to_string(parts->size()) +
                    ": " + e.error().message);
            return;
        }
        envelopes.push_back(std::move(*e));
    }
    for (Envelope& e : envelopes)
        on_envelope(subject_name, std::move(e), {});
}

void Node::on_envelope(const std::string& subject_name, Envelope&& e, const std::string& reply_to) {
    const std::string* from = string_at(e.head, 0);
    const auto incarnation = e.head.size() > 1 ? e.head[1].to_uint() : std::nullopt;
    if (!from || !incarnation) {
        log(RouterLogLevel::warning, "a message on " + subject_name + " names no sender");
        return;
    }
    if (*from == config_.node_name) {
        // Our own broadcast, or another process using our name.
        if (*incarnation != incarnation_ && e.kind == Kind::heartbeat)
            log(RouterLogLevel::error,
                "another node calls itself " + *from + ": node names must be unique in a cluster");
        return;
    }
    switch (e.kind) {
    case Kind::heartbeat: return on_heartbeat(e);
    case Kind::directory: return on_directory(std::move(e));
    case Kind::snapshot:
        if (!reply_to.empty()) return on_snapshot_request(e, reply_to);
        return;
    default: break;
    }
    Peer& p = peer(*from, *incarnation);
    p.last_heard = std::chrono::steady_clock::now();
    const std::string* realm_uri = string_at(e.head, 2);
    if (!realm_uri) return;
    auto realm = lookup_(*realm_uri);
    if (!realm) return;
    NodeRef sender{p.index, *from}; // before the head it points into goes
    e.head.erase(e.head.begin(), e.head.begin() + 3);
    realm->cluster_message(sender, std::move(e));
}

void Node::on_heartbeat(const Envelope& e) {
    const std::string& from = *string_at(e.head, 0);
    if (e.head.size() > 3 && e.head[3] == Value(true)) {
        // It stops (cleanly): what it held goes now.
        if (auto it = peers_.find(from);
            it != peers_.end() && it->second.incarnation == e.head[1].to_uint()) {
            log(RouterLogLevel::info, "node " + from + " left");
            forget(from);
        }
        return;
    }
    Peer& p = peer(from, *e.head[1].to_uint());
    p.last_heard = std::chrono::steady_clock::now();
    const auto reads = e.head.size() > 4 ? e.head[4].to_uint() : std::nullopt;
    p.reads_batches = reads && *reads >= batch_version;
    // A change we never got (the bus lost it): start over from a snapshot.
    // Changes and heartbeats take different subjects, so a heartbeat may
    // overtake a change for a moment: only one still ahead a heartbeat later counts.
    const auto sequence = e.head.size() > 2 ? e.head[2].to_uint() : std::nullopt;
    if (!p.synced && !p.asking) {
        // Its snapshot never came (no answer in time): ask again.
        ask_snapshot(from);
        return;
    }
    if (!p.synced || !sequence || *sequence <= p.sequence) {
        p.behind_since.reset();
        return;
    }
    const auto now = std::chrono::steady_clock::now();
    if (!p.behind_since) {
        p.behind_since = now;
    } else if (now - *p.behind_since > config_.heartbeat) {
        log(RouterLogLevel::info, "missed a directory change of node " + from + ": resyncing");
        p.behind_since.reset();
        p.synced = false;
        ask_snapshot(from);
    }
}

void Node::on_directory(Envelope&& e) {
    const std::string& from = *string_at(e.head, 0);
    Peer& p = peer(from, *e.head[1].to_uint());
    p.last_heard = std::chrono::steady_clock::now();
    const auto sequence = e.head.size() > 2 ? e.head[2].to_uint() : std::nullopt;
    if (!sequence) return;
    if (!p.synced) {
        p.waiting.push_back(std::move(e));
        return;
    }
    if (*sequence <= p.sequence) return; // already in the snapshot
    if (*sequence != p.sequence + 1) {
        log(RouterLogLevel::info, "missed a directory change of node " + from + ": resyncing");
        p.synced = false;
        p.waiting.push_back(std::move(e));
        ask_snapshot(from);
        return;
    }
    p.sequence = *sequence;
    apply_change(NodeRef{p.index, from}, e);
}

void Node::apply_change(const NodeRef& node, const Envelope& e) {
    // head: name, incarnation, sequence, realm, change
    const std::string* realm_uri = string_at(e.head, 3);
    if (!realm_uri || e.head.size() < 5 || !e.head[4].is_array()) return;
    if (auto realm = lookup_(*realm_uri)) realm->cluster_change(node, e.head[4].as_array());
}

void Node::ask_snapshot(const std::string& name) {
    if (auto it = peers_.find(name); it != peers_.end()) {
        if (it->second.asking) return;
        it->second.asking = true;
    }
    auto request = encode(Kind::snapshot, Array{Value(config_.node_name), Value(incarnation_)});
    if (!request) return;
    std::weak_ptr<Node> weak = weak_from_this();
    config_.bus->request(
        subject("snap." + name), *request,
        std::max(config_.node_timeout, std::chrono::milliseconds(1000)),
        [weak, name](std::optional<std::string> reply) {
            auto self = weak.lock();
            if (!self) return;
            auto bytes = reply ? std::make_shared<const std::string>(std::move(*reply)) : nullptr;
            asio::post(self->strand_, [self, name, bytes] {
                if (self->stopped_) return;
                if (auto it = self->peers_.find(name); it != self->peers_.end())
                    it->second.asking = false;
                if (!bytes) {
                    // No answer: ask again at that node's next heartbeat.
                    if (auto it = self->peers_.find(name); it != self->peers_.end())
                        it->second.synced = false, it->second.sequence = 0;
                    self->log(RouterLogLevel::info, "no snapshot from node " + name + " yet");
                    return;
                }
                auto e = decode(bytes);
                if (e) self->on_snapshot(*e);
            });
        });
}

void Node::on_snapshot_request(const Envelope&, const std::string& reply_to) {
    // Built on the strand: every change numbered up to sequence_ is in it, and
    // later ones (even if already in the realms' state) apply again harmlessly.
    wamp::Object realms;
    for (auto& [uri, realm] : realms_())
        realms.emplace(uri, Value(realm->cluster_snapshot()));
    auto reply = encode(Kind::snapshot, Array{Value(config_.node_name), Value(incarnation_),
                                              Value(sequence_), Value(std::move(realms))});
    if (reply) config_.bus->publish(reply_to, *reply);
}

void Node::on_snapshot(const Envelope& e) {
    const std::string* from = string_at(e.head, 0);
    const auto incarnation = e.head.size() > 1 ? e.head[1].to_uint() : std::nullopt;
    const auto sequence = e.head.size() > 2 ? e.head[2].to_uint() : std::nullopt;
    if (!from || !incarnation || !sequence || e.head.size() < 4 || !e.head[3].is_object()) return;
    Peer& p = peer(*from, *incarnation);
    p.last_heard = std::chrono::steady_clock::now();
    const NodeRef ref{p.index, *from};
    for (auto& [uri, realm] : realms_()) {
        const Value* state = e.head[3].find(uri);
        realm->cluster_replace(ref, state && state->is_array() ? state->as_array() : Array{});
    }
    p.sequence = *sequence;
    p.synced = true;
    std::deque<Envelope> waiting;
    waiting.swap(p.waiting);
    for (Envelope& change : waiting) {
        const auto s = change.head[2].to_uint();
        if (!s || *s <= p.sequence) continue;
        if (*s != p.sequence + 1) {
            p.synced = false;
            ask_snapshot(*from);
            return;
        }
        p.sequence = *s;
        apply_change(ref, change);
    }
}

} // namespace nexus::router::cluster
