// The bounded queue between the router and one peer.
//
// Any thread appends (the router, under some realm's lock); the transport
// drains. Appending never blocks on the peer: when the queue is full the
// overflow policy decides, and the peer is only ever told to wake up or close.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include <nexus/router/config.hpp>
#include <nexus/router/outgoing.hpp>
#include <nexus/router/peer.hpp>

#include "router/metrics.hpp"

namespace nexus::router {

class OutboundQueue {
public:
    /// `metrics`: where drops, overflows, depths and sent messages are counted (none: not counted).
    OutboundQueue(std::shared_ptr<Peer> peer, std::size_t limit, OverflowPolicy policy,
                  std::shared_ptr<RouterMetrics> metrics = nullptr)
        : peer_(std::move(peer)), limit_(limit == 0 ? 1 : limit), policy_(policy),
          metrics_(std::move(metrics)) {}

    enum class Push { queued, dropped, overflow, closed };

    /// `droppable` marks EVENTs, which OverflowPolicy::drop_events may drop.
    /// On overflow the queue closes itself and tells the peer to close.
    Push push(OutgoingPtr message, bool droppable);

    std::size_t take(std::vector<OutgoingPtr>& out, std::size_t max);

    /// Stops accepting messages; tells the peer to close once (after it has
    /// drained what is queued, which is the peer's business).
    void close();
    bool closed() const;
    /// True once the overflow policy disconnected this peer.
    bool overflowed() const;

    std::uint64_t dropped() const;
    std::size_t size() const;
    /// Messages handed to the peer by take().
    std::uint64_t taken() const;

private:
    std::shared_ptr<Peer> peer_;
    const std::size_t limit_;
    const OverflowPolicy policy_;
    const std::shared_ptr<RouterMetrics> metrics_;
    mutable std::mutex mutex_;
    std::deque<OutgoingPtr> queue_;
    std::uint64_t dropped_ = 0;
    std::uint64_t taken_ = 0;
    bool closed_ = false;
    bool overflowed_ = false;
};

} // namespace nexus::router
