// cluster::Outbox: what one drain of a cluster node's outbound queue
// publishes. Each subject's envelopes leave in the order they were added, as
// few bus messages as the bus's largest payload allows (envelope.hpp:
// batches): with libnats's send-asap every publish is a write to the socket,
// so a burst for one node costs one write instead of one per envelope.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace nexus::router::cluster {

class Outbox {
public:
    /// Publishes one bus message; false when the bus refused it.
    using Publish = std::function<bool(const std::string& subject, std::string_view payload)>;

    /// `max_payload` 0 (the bus does not know its limit yet) sends every
    /// envelope alone, as one that exceeds the limit even alone is sent.
    Outbox(std::size_t max_payload, Publish publish);

    /// Queues `envelope` for `subject`; `batchable`: every receiver of
    /// `subject` reads batches.
    void add(const std::string& subject, std::shared_ptr<const std::string> envelope,
             bool batchable);
    /// Publishes what is queued, subject by subject in the order each was
    /// first added to. Returns how many envelopes went in publishes the bus
    /// refused.
    std::size_t flush();

private:
    struct Queue {
        std::string subject;
        bool batchable = true;
        std::vector<std::shared_ptr<const std::string>> envelopes;
    };
    std::size_t publish_queue(const Queue& q);

    const std::size_t max_payload_;
    const Publish publish_;
    std::vector<Queue> queues_; // a few subjects per drain: a map would cost more
};

} // namespace nexus::router::cluster
