// The router-wide count of joined sessions and its limit
// (RouterConfig::max_sessions), shared by every realm of a router: exact,
// and one atomic operation per join or leave however many realms there are.
#pragma once

#include <atomic>
#include <cstddef>

namespace nexus::router {

class SessionBudget {
public:
    /// `max` 0: no limit.
    explicit SessionBudget(std::size_t max) : max_(max) {}

    /// Counts a joining session; false (and nothing counted) at the limit.
    bool take() {
        const std::size_t before = count_.fetch_add(1, std::memory_order_relaxed);
        if (max_ != 0 && before >= max_) {
            count_.fetch_sub(1, std::memory_order_relaxed);
            return false;
        }
        return true;
    }
    void give_back() { count_.fetch_sub(1, std::memory_order_relaxed); }
    std::size_t used() const { return count_.load(std::memory_order_relaxed); }

private:
    const std::size_t max_;
    std::atomic<std::size_t> count_{0};
};

} // namespace nexus::router
