// The connections a server has accepted, held weakly so that stop() can
// close those still open (a connection lives by its own pending operations).
//
// Expired entries are swept when the list has doubled since the last sweep:
// an accept costs amortized O(1) rather than a scan of every open connection
// (20,000 of them at 10,000 accepts a second would be 2e8 checks a second).
// An expired entry keeps only its control block until then, provided the
// connection was not made with make_shared (which would keep the whole
// object's storage): create connections with shared_ptr(new T).
#pragma once

#include <algorithm>
#include <cstddef>
#include <memory>
#include <vector>

namespace nexus::transport {

template <class T> class ConnectionList {
public:
    void add(std::weak_ptr<T> connection) {
        if (entries_.size() >= sweep_at_) {
            std::erase_if(entries_, [](const std::weak_ptr<T>& w) { return w.expired(); });
            sweep_at_ = std::max(min_sweep, 2 * entries_.size());
        }
        entries_.push_back(std::move(connection));
    }

    /// Entries held, expired ones included.
    std::size_t size() const { return entries_.size(); }

    /// The connections still open; the list is empty afterwards.
    std::vector<std::shared_ptr<T>> take_open() {
        std::vector<std::shared_ptr<T>> open;
        for (const std::weak_ptr<T>& w : entries_)
            if (auto c = w.lock()) open.push_back(std::move(c));
        entries_.clear();
        sweep_at_ = min_sweep;
        return open;
    }

private:
    static constexpr std::size_t min_sweep = 64;
    std::vector<std::weak_ptr<T>> entries_;
    std::size_t sweep_at_ = min_sweep;
};

} // namespace nexus::transport
