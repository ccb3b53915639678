// A small number that no other live thread of the process holds, for
// per-thread counter shards: while a thread runs, the slot is its alone, so
// a counter in its shard has a single writer and needs no atomic
// read-modify-write. A slot is given back when its thread ends and goes to
// the next thread that needs one. Threads beyond max_thread_slots share the
// last slot (shared_thread_slot), whose writers must add atomically.
#pragma once

#include <cstddef>

namespace nexus::router {

inline constexpr std::size_t max_thread_slots = 64;
inline constexpr std::size_t shared_thread_slot = max_thread_slots - 1;

namespace detail {

// The slot + 1, 0 before the thread first asks: trivially initialised, so
// reading it costs no initialisation check.
inline thread_local std::size_t slot_plus_one = 0;
/// Takes the lowest free slot for this thread (given back when it ends).
std::size_t take_slot() noexcept;

} // namespace detail

/// This thread's slot, in [0, max_thread_slots). Inline: counters ask for it
/// on every message.
inline std::size_t thread_slot() noexcept {
    const std::size_t s = detail::slot_plus_one;
    return s != 0 ? s - 1 : detail::take_slot();
}

} // namespace nexus::router
