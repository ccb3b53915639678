// WAMP IDs (spec/basic/building_blocks.md "IDs"): integers in [1, 2^53].
#pragma once

#include <atomic>
#include <cstdint>

namespace nexus::wamp {

using Id = std::uint64_t;

inline constexpr Id max_id = Id{1} << 53; // 9007199254740992

constexpr bool is_valid_id(std::uint64_t id) noexcept { return id >= 1 && id <= max_id; }

/// Global scope (session ids, publication ids): uniformly random in [1, 2^53],
/// drawn from the kernel's CSPRNG (the session id enters the WAMP-CRA challenge).
/// Thread-safe; buffers random bytes per thread so an id costs no syscall.
Id random_id();

/// Router scope (subscription and registration ids): sequential, thread-safe.
class RouterIdGenerator {
public:
    Id next() noexcept {
        Id id = next_.fetch_add(1, std::memory_order_relaxed);
        // 2^53 ids before the wrap: unreachable in practice, but stay in range.
        return (id - 1) % max_id + 1;
    }

private:
    std::atomic<Id> next_{1};
};

/// Session scope (request ids of one direction of one session): starts at 1,
/// grows by 1, wraps to 1 after 2^53. Not thread-safe: a session owns one.
class SessionIdGenerator {
public:
    Id next() noexcept {
        last_ = last_ >= max_id ? 1 : last_ + 1;
        return last_;
    }
    Id last() const noexcept { return last_; }

private:
    Id last_ = 0;
};

} // namespace nexus::wamp
