#include "router/thread_slot.hpp"

#include <bitset>
#include <mutex>

namespace nexus::router::detail {

namespace {

std::mutex slots_mutex;
std::bitset<shared_thread_slot> slots_taken;

// Gives the thread's slot back when the thread ends. The mutex orders the
// old owner's last writes to its shards before the new owner's first.
struct SlotRelease {
    std::size_t slot = shared_thread_slot;
    ~SlotRelease() {
        // Counting later in this thread's exit goes to the shared slot.
        slot_plus_one = shared_thread_slot + 1;
        if (slot == shared_thread_slot) return;
        std::lock_guard lock(slots_mutex);
        slots_taken[slot] = false;
    }
};

} // namespace

std::size_t take_slot() noexcept {
    thread_local SlotRelease release;
    std::size_t slot = shared_thread_slot;
    {
        std::lock_guard lock(slots_mutex);
        for (std::size_t i = 0; i < shared_thread_slot; ++i)
            if (!slots_taken[i]) {
                slots_taken[i] = true;
                slot = i;
                break;
            }
    }
    release.slot = slot;
    slot_plus_one = slot + 1;
    return slot;
}

} // namespace nexus::router::detail
