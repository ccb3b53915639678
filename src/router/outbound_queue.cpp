#include "router/outbound_queue.hpp"

namespace nexus::router {

OutboundQueue::Push OutboundQueue::push(OutgoingPtr message, bool droppable) {
    bool wake = false;
    bool close_peer = false;
    Push result = Push::queued;
    {
        std::lock_guard lock(mutex_);
        if (closed_) return Push::closed;
        const std::size_t n = queue_.size();
        // Replies and other control messages may exceed the limit up to twice
        // its size under drop_events: dropping them would break the protocol
        // for that peer, and the hard cap still bounds memory.
        const std::size_t cap =
            (policy_ == OverflowPolicy::drop_events && !droppable) ? 2 * limit_ : limit_;
        if (n >= cap) {
            if (policy_ == OverflowPolicy::drop_events && droppable) {
                ++dropped_;
                if (metrics_) metrics_->event_dropped();
                return Push::dropped;
            }
            if (metrics_) metrics_->overflow_disconnect();
            closed_ = true;
            overflowed_ = true;
            close_peer = true;
            result = Push::overflow;
        } else {
            queue_.push_back(std::move(message));
            if (metrics_) metrics_->queued(n + 1, droppable);
            wake = n == 0;
        }
    }
    // Outside our lock: the peer may take() from inside wake()/close().
    if (close_peer) peer_->abort();
    if (wake) peer_->wake();
    return result;
}

std::size_t OutboundQueue::take(std::vector<OutgoingPtr>& out, std::size_t max) {
    std::lock_guard lock(mutex_);
    std::size_t n = 0;
    while (n < max && !queue_.empty()) {
        if (metrics_) metrics_->sent(queue_.front()->type());
        out.push_back(std::move(queue_.front()));
        queue_.pop_front();
        ++n;
    }
    taken_ += n;
    return n;
}

void OutboundQueue::close() {
    {
        std::lock_guard lock(mutex_);
        if (closed_) return;
        closed_ = true;
    }
    peer_->close();
}

bool OutboundQueue::closed() const {
    std::lock_guard lock(mutex_);
    return closed_;
}

bool OutboundQueue::overflowed() const {
    std::lock_guard lock(mutex_);
    return overflowed_;
}

std::uint64_t OutboundQueue::dropped() const {
    std::lock_guard lock(mutex_);
    return dropped_;
}

std::uint64_t OutboundQueue::taken() const {
    std::lock_guard lock(mutex_);
    return taken_;
}

std::size_t OutboundQueue::size() const {
    std::lock_guard lock(mutex_);
    return queue_.size();
}

} // namespace nexus::router
