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

/// This thread's slot, in [0, max_thread_slots).
std::size_t thread_slot() noexcept;

} // namespace nexus::router
