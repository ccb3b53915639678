#include "router/cluster/outbox.hpp"

#include <algorithm>
#include <iterator>

#include "router/cluster/envelope.hpp"

namespace nexus::router::cluster {

Outbox::Outbox(std::size_t max_payload, Publish publish)
    : max_payload_(max_payload), publish_(std::move(publish)) {}

void Outbox::add(const std::string& subject, std::shared_ptr<const std::string> envelope,
                 bool batchable) {
    auto it = std::find_if(queues_.begin(), queues_.end(),
                           [&](const Queue& q) { return q.subject == subject; });
    if (it == queues_.end()) {
        queues_.push_back(Queue{subject, batchable, {}});
        it = std::prev(queues_.end());
    }
    it->batchable = it->batchable && batchable;
    it->envelopes.push_back(std::move(envelope));
}

std::size_t Outbox::flush() {
    std::size_t refused = 0;
    for (const Queue& q : queues_)
        refused += publish_queue(q);
    queues_.clear();
    return refused;
}

std::size_t Outbox::publish_queue(const Queue& q) {
    std::size_t refused = 0;
    const auto& all = q.envelopes;
    const std::size_t n = all.size();
    for (std::size_t i = 0; i < n;) {
        // As many of the next envelopes as fit in one batch.
        std::size_t j = i;
        if (q.batchable && max_payload_ > 0) {
            std::size_t size = batch_header_size();
            while (j < n && size + batch_entry_overhead + all[j]->size() <= max_payload_)
                size += batch_entry_overhead + all[j++]->size();
        }
        if (j - i <= 1) {
            // Alone: the batch's overhead buys nothing, or the envelope does
            // not fit in a batch (the bus may still take it, or refuse it as
            // it would have without batches).
            if (!publish_(q.subject, *all[i])) ++refused;
            ++i;
            continue;
        }
        std::vector<std::string_view> parts;
        parts.reserve(j - i);
        for (std::size_t k = i; k < j; ++k)
            parts.emplace_back(*all[k]);
        if (!publish_(q.subject, encode_batch(parts))) refused += j - i;
        i = j;
    }
    return refused;
}

} // namespace nexus::router::cluster
