// An in-process message fabric for tests: several routers in one process,
// each with its own Bus endpoint, joined as through one NATS server with
// JetStream. It keeps the Bus contract as NatsBus does (subjects and
// wildcards, per-publisher order, request/reply with no-responders, key-value
// buckets with revisions and compare-and-set) and adds the faults tests need:
// an endpoint's link going down and up, and an endpoint lost as a killed
// process would be.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <nexus/cluster/bus.hpp>

namespace nexus::cluster {

struct MemoryFabricOptions {
    /// The largest payload a publish or request takes (NATS's default).
    std::size_t max_payload = 1024 * 1024;
    /// Messages a disconnected endpoint keeps to send when it reconnects;
    /// publishes beyond that are refused.
    std::size_t reconnect_buffer = 1024;
};

/// One endpoint of a MemoryFabric. Its callbacks run on a thread of its own.
/// Subscriptions with a malformed subject throw std::invalid_argument; a
/// publish to one returns false.
class MemoryBus : public Bus {
public:
    /// The link goes down: on_state(disconnected); publishes (and requests) are
    /// kept to be sent on reconnect, up to MemoryFabricOptions::reconnect_buffer,
    /// then refused; nothing reaches this endpoint meanwhile (what others publish
    /// is lost for it, as are replies to its requests); key-value calls end with
    /// Status::error. Nothing happens if the link is not up.
    virtual void disconnect() = 0;
    /// The link comes back: on_state(connected), its subscriptions are in force
    /// again and what it kept is sent, in order. Nothing happens if the link is
    /// not down.
    virtual void reconnect() = 0;
    /// As if the process using this endpoint were killed: its subscriptions
    /// leave the fabric, what it kept or was about to deliver is dropped, and no
    /// callback of it runs ever again (not even a pending `done`, nor
    /// on_state(closed)); calls on it after this do nothing. What it wrote to
    /// key-value buckets stays.
    virtual void lose() = 0;
    /// The name given to MemoryFabric::connect().
    virtual const std::string& name() const = 0;
};

/// What crossed the fabric so far.
struct MemoryFabricStats {
    std::uint64_t published = 0; // messages that entered it (publishes, requests, replies)
    std::uint64_t delivered = 0; // handler calls those messages made (one per subscription)
};

class MemoryFabric {
public:
    static std::shared_ptr<MemoryFabric> create(MemoryFabricOptions options = {});
    virtual ~MemoryFabric() = default;

    /// A new endpoint, connected. The fabric lives as long as any endpoint does.
    virtual std::shared_ptr<MemoryBus> connect(std::string name = {}) = 0;

    virtual MemoryFabricStats stats() const = 0;
};

} // namespace nexus::cluster
