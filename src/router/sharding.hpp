// Sharded registrations and subscriptions (spec advanced/rpc_sharded_registration.md,
// pubsub_sharded_subscription.md; both unfinished there, so this is our
// reading, documented in docs/FEATURES.md): a resource key (`rkey` of a CALL or
// PUBLISH) is placed on one node key (`nkey` a callee or subscriber gave)
// by rendezvous hashing, so that every resource has one home among the
// nodes present and only the resources of a node that comes or goes move.
#pragma once

#include <cstdint>
#include <string_view>

namespace nexus::router {

/// The rendezvous score of a resource key on a node key: 64-bit FNV-1a over
/// the bytes of rkey, one zero byte, then nkey. The node with the highest
/// score holds the resource (ties: the smaller nkey). Written out here so
/// that applications can compute the same placement.
constexpr std::uint64_t shard_score(std::string_view rkey, std::string_view nkey) noexcept {
    std::uint64_t h = 0xcbf29ce484222325ull;
    const auto mix = [&](unsigned char c) {
        h ^= c;
        h *= 0x100000001b3ull;
    };
    for (char c : rkey)
        mix(static_cast<unsigned char>(c));
    mix(0);
    for (char c : nkey)
        mix(static_cast<unsigned char>(c));
    return h;
}

/// True if node `a` wins resource `rkey` over node `b`.
constexpr bool shard_wins(std::string_view rkey, std::string_view a, std::string_view b) noexcept {
    const std::uint64_t sa = shard_score(rkey, a), sb = shard_score(rkey, b);
    return sa != sb ? sa > sb : a < b;
}

} // namespace nexus::router
