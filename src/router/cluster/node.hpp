// ClusterNode: this router's membership in a cluster (docs/CLUSTER.md).
//
// It owns the bus subscriptions (heartbeats, directory changes, this node's
// inbox), says this node is alive, notices nodes that come, restart or go
// silent, keeps each live node's directory in sequence (asking for a snapshot
// when it missed a change), and hands what arrives to the realms. Realms hand
// it what must go out; it encodes and publishes on its own strand, so that no
// realm lock is held while the bus is called.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <nexus/cluster/bus.hpp>
#include <nexus/router/config.hpp>

#include "router/cluster/envelope.hpp"

namespace nexus::router {
class Realm;
}

namespace nexus::router::cluster {

/// A node of the cluster as the realms know it: its index (Session::node of
/// its sessions' proxies; never 0, which is this node) and name.
struct NodeRef {
    std::uint32_t index = 0;
    std::string name;
};

/// What a realm offers the cluster node; called on the cluster node's strand
/// (the realm takes its own lock).
class RealmMember {
public:
    virtual ~RealmMember() = default;
    /// A change of `node`'s directory for this realm.
    virtual void cluster_change(const NodeRef& node, const wamp::Array& change) = 0;
    /// `node`'s whole directory for this realm: what it does not list is gone.
    virtual void cluster_replace(const NodeRef& node, const wamp::Array& state) = 0;
    /// This node's own directory for this realm (for another node's snapshot).
    virtual wamp::Array cluster_snapshot() = 0;
    /// `node` is gone (silent past node_timeout, or restarted): everything it
    /// held goes. `elected`: this node is the one that cleans up after it in
    /// the shared store and publishes its sessions' testaments.
    virtual void cluster_node_gone(const NodeRef& node, bool elected) = 0;
    /// A message for this realm from `node` (event, invocation, interrupt,
    /// answer, kill, revoke, modify).
    virtual void cluster_message(const NodeRef& node, Envelope&& envelope) = 0;
    /// The bus is connected again after an outage: re-assert what this node
    /// holds in the shared store.
    virtual void cluster_reconnected() = 0;
    /// Once a heartbeat while connected: ask the other nodes whether the
    /// invocations this node has been waiting on for longer than a heartbeat
    /// are still there (the bus may have lost one, or its answer).
    virtual void cluster_probe(std::chrono::steady_clock::time_point sent_before) = 0;
};

class Node : public std::enable_shared_from_this<Node> {
public:
    using RealmLookup = std::function<std::shared_ptr<RealmMember>(const std::string& uri)>;
    using RealmList =
        std::function<std::vector<std::pair<std::string, std::shared_ptr<RealmMember>>>()>;

    Node(ClusterConfig config, boost::asio::any_io_executor executor, RouterLogger logger);
    ~Node();

    /// Subscribes and starts the heartbeat; `lookup` and `realms` find the
    /// realms what arrives is for.
    void start(RealmLookup lookup, RealmList realms);
    /// Says goodbye to the other nodes and stops: after what is queued has
    /// gone out, no more callbacks into realms.
    void stop();

    const std::string& name() const { return config_.node_name; }
    /// Connected and running for longer than node_timeout: it has heard
    /// every live node, so an absent one is gone.
    bool settled() const;

    // --- what realms send (thread-safe, never blocks) ---------------------------------------

    /// A directory change of this node for `realm`, to every node.
    void announce(const std::string& realm, wamp::Array change);
    /// A message to one node; `droppable` ones (events) may be dropped when the
    /// outbound backlog is full, others never are.
    void send(std::uint32_t node, Kind kind, wamp::Array head,
              std::optional<wamp::Message> message = std::nullopt, bool droppable = false);
    /// The same message to several nodes, encoded once.
    void send_to_all(const std::vector<std::uint32_t>& nodes, Kind kind, wamp::Array head,
                     std::optional<wamp::Message> message, bool droppable);
    /// A realm was created after start (a realm template): ask every live node
    /// for its directory.
    void refresh();

    /// The live nodes other than this one.
    std::vector<NodeRef> peers() const;
    /// The name of node `index`, or empty.
    std::string name_of(std::uint32_t index) const;
    std::optional<std::uint32_t> index_of(const std::string& name) const;

    nexus::cluster::Bus& bus() { return *config_.bus; }
    const ClusterConfig& config() const { return config_; }

    /// Events dropped because the outbound backlog was full, and messages the
    /// bus refused.
    std::uint64_t dropped() const;
    /// Connected to the bus now.
    bool connected() const { return connected_; }

private:
    struct Peer {
        std::uint32_t index = 0;
        std::uint64_t incarnation = 0;
        std::chrono::steady_clock::time_point last_heard;
        std::uint64_t sequence = 0; // of its last directory change applied
        bool synced = false;        // a snapshot arrived since it was seen
        bool asking = false;        // a snapshot request is out
        std::optional<std::chrono::steady_clock::time_point> behind_since;
        std::deque<Envelope> waiting; // changes that came before its snapshot
        bool reads_batches = false;   // its heartbeats say so (envelope.hpp)
    };
    struct Outbound {
        std::vector<std::uint32_t> nodes; // empty with `broadcast`
        bool broadcast = false;
        Kind kind{};
        wamp::Array head;
        std::optional<wamp::Message> message;
    };

    std::string subject(std::string_view suffix) const;
    void enqueue(Outbound out, bool droppable);
    void drain(bool last);
    void on_bus(std::string subject, std::shared_ptr<const std::string> payload,
                std::string reply_to);
    void on_envelope(const std::string& subject, Envelope&& e, const std::string& reply_to);
    /// Whether every receiver of node `name`'s subject (or, with an empty
    /// name, of the directory subject) reads batches.
    bool reads_batches(const std::string& name) const;
    void on_heartbeat(const Envelope& e);
    void on_directory(Envelope&& e);
    void on_snapshot_request(const Envelope& e, const std::string& reply_to);
    void on_snapshot(const Envelope& e);
    void ask_snapshot(const std::string& name);
    Peer& peer(const std::string& name, std::uint64_t incarnation);
    void apply_change(const NodeRef& node, const Envelope& e);
    void forget(const std::string& name);
    void tick();
    void beat();
    bool elected_for(const std::string& gone) const;
    void log(RouterLogLevel level, const std::string& line) const;

    const ClusterConfig config_;
    const RouterLogger logger_;
    RealmLookup lookup_;
    RealmList realms_;
    const std::uint64_t incarnation_;
    boost::asio::strand<boost::asio::any_io_executor> strand_;
    boost::asio::steady_timer timer_;
    std::vector<std::unique_ptr<nexus::cluster::BusSubscription>> subscriptions_;

    // On the strand.
    std::map<std::string, Peer> peers_;
    std::uint32_t next_index_ = 1;
    std::uint64_t sequence_ = 0; // of this node's last directory change sent
    std::atomic<bool> stopped_{false};
    std::atomic<bool> connected_{false};
    std::atomic<std::int64_t> connected_since_{0}; // steady clock, ns

    // Guarded by mutex_: the outbound backlog, and the name table peers() reads.
    mutable std::mutex mutex_;
    std::deque<Outbound> outbound_;
    std::size_t droppable_queued_ = 0;
    bool draining_ = false;
    std::uint64_t dropped_ = 0;
    std::map<std::uint32_t, std::string> names_;
};

} // namespace nexus::router::cluster
