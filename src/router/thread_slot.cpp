#include "router/thread_slot.hpp"

#include <bitset>
#include <mutex>

namespace nexus::router {

namespace {

std::mutex slots_mutex;
std::bitset<shared_thread_slot> slots_taken;

// Takes the lowest free slot when a thread first asks, gives it back when the
// thread ends. The mutex orders the old owner's last writes before the new
// owner's first.
struct SlotHolder {
    std::size_t slot = shared_thread_slot;

    SlotHolder() {
        std::lock_guard lock(slots_mutex);
        for (std::size_t i = 0; i < shared_thread_slot; ++i)
            if (!slots_taken[i]) {
                slots_taken[i] = true;
                slot = i;
                break;
            }
    }
    ~SlotHolder() {
        if (slot == shared_thread_slot) return;
        std::lock_guard lock(slots_mutex);
        slots_taken[slot] = false;
    }
    SlotHolder(const SlotHolder&) = delete;
    SlotHolder& operator=(const SlotHolder&) = delete;
};

} // namespace

std::size_t thread_slot() noexcept {
    thread_local SlotHolder holder;
    return holder.slot;
}

} // namespace nexus::router
