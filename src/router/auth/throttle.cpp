#include "router/auth/throttle.hpp"

#include <algorithm>

namespace nexus::router {

namespace {

// Entries per table before the forgotten ones are swept (and, if that is not
// enough, the table starts over: a flood of addresses must not grow memory).
constexpr std::size_t max_entries = 100'000;

} // namespace

std::string AuthThrottle::address_of(std::string_view peer) {
    if (!peer.starts_with("tcp4:") && !peer.starts_with("tcp6:")) return std::string(peer);
    const auto colon = peer.rfind(':');
    if (colon == std::string_view::npos || colon < 5) return std::string(peer);
    // tcp6 ports follow the bracketed address; tcp4 has one colon after the prefix.
    if (peer.starts_with("tcp6:") && (colon == 0 || peer[colon - 1] != ']'))
        return std::string(peer);
    return std::string(peer.substr(0, colon));
}

AuthThrottle::Clock::duration AuthThrottle::backoff(std::uint32_t over, Clock::duration cap) const {
    // base, 2 base, 4 base, ... capped; `over` counts failures beyond the free ones.
    Clock::duration d = config_.base_delay;
    for (std::uint32_t i = 1; i < over && d < cap; ++i)
        d *= 2;
    return std::min(d, cap);
}

AuthThrottle::Failures* AuthThrottle::live(std::unordered_map<std::string, Failures>& map,
                                           const std::string& key, Clock::time_point now) {
    auto it = map.find(key);
    if (it == map.end()) return nullptr;
    if (now - it->second.last > config_.forget_after && now >= it->second.locked_until) {
        map.erase(it);
        return nullptr;
    }
    return &it->second;
}

void AuthThrottle::bound(std::unordered_map<std::string, Failures>& map, Clock::time_point now) {
    if (map.size() < max_entries) return;
    std::erase_if(map, [&](const auto& e) {
        return now - e.second.last > config_.forget_after && now >= e.second.locked_until;
    });
    if (map.size() >= max_entries) map.clear();
}

std::optional<AuthThrottle::Clock::duration> AuthThrottle::locked_out(const std::string& address,
                                                                      Clock::time_point now) {
    if (!config_.enabled) return std::nullopt;
    std::lock_guard lock(mutex_);
    Failures* f = live(by_address_, address, now);
    if (!f || now >= f->locked_until) return std::nullopt;
    ++refused_;
    return f->locked_until - now;
}

AuthThrottle::Clock::duration AuthThrottle::authid_delay(const std::string& realm,
                                                         const std::string& authid,
                                                         Clock::time_point now) {
    if (!config_.enabled || authid.empty()) return Clock::duration::zero();
    std::lock_guard lock(mutex_);
    Failures* f = live(by_authid_, realm + '\0' + authid, now);
    if (!f || f->count < config_.free_failures_per_authid) return Clock::duration::zero();
    ++delayed_;
    return backoff(f->count - config_.free_failures_per_authid + 1, config_.authid_delay_max);
}

AuthThrottle::Outcome AuthThrottle::failed(const std::string& address, const std::string& realm,
                                           const std::string& authid, Clock::time_point now) {
    Outcome out;
    if (!config_.enabled) return out;
    std::lock_guard lock(mutex_);
    Failures* a = live(by_address_, address, now);
    if (!a) {
        bound(by_address_, now);
        a = &by_address_[address];
    }
    a->last = now;
    if (++a->count >= config_.free_failures_per_address) {
        out.lockout =
            backoff(a->count - config_.free_failures_per_address + 1, config_.address_lockout_max);
        a->locked_until = now + out.lockout;
        out.address_locked = true;
    }
    if (!authid.empty()) {
        const std::string key = realm + '\0' + authid;
        Failures* i = live(by_authid_, key, now);
        if (!i) {
            bound(by_authid_, now);
            i = &by_authid_[key];
        }
        i->last = now;
        out.authid_throttled = ++i->count == config_.free_failures_per_authid;
    }
    return out;
}

void AuthThrottle::succeeded(const std::string& address) {
    if (!config_.enabled) return;
    std::lock_guard lock(mutex_);
    by_address_.erase(address);
}

std::uint64_t AuthThrottle::refused() const {
    std::lock_guard lock(mutex_);
    return refused_;
}

std::uint64_t AuthThrottle::delayed() const {
    std::lock_guard lock(mutex_);
    return delayed_;
}

} // namespace nexus::router
