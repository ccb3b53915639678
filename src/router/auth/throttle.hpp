// Failed-authentication throttling: slows password guessing without letting an
// attacker lock a legitimate user out.
//
// - Per peer address (the IP, without the port): after
//   AuthThrottleConfig::free_failures_per_address failures, that address may
//   not authenticate for a while (1 base_delay, then doubling per further
//   failure up to address_lockout_max); its attempts are refused at HELLO.
//   Other addresses are not affected.
// - Per authid (in its realm, whatever the address): after
//   free_failures_per_authid failures, every attempt for that authid gets its
//   answer late (the same doubling, up to authid_delay_max): the right secret
//   still works, from any address, but guessing many is slow. Never a lockout.
// Failures are forgotten `forget_after` after the last one. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include <nexus/router/config.hpp>

namespace nexus::router {

class AuthThrottle {
public:
    using Clock = std::chrono::steady_clock;

    explicit AuthThrottle(AuthThrottleConfig config) : config_(config) {}

    /// The host part of a TransportInfo::peer ("tcp4:10.0.0.1:5123" ->
    /// "tcp4:10.0.0.1"; "tcp6:[::1]:5123" -> "tcp6:[::1]"); other forms whole.
    static std::string address_of(std::string_view peer);

    /// How much longer `address` is locked out (nullopt: it is not).
    std::optional<Clock::duration> locked_out(const std::string& address, Clock::time_point now);
    /// How long to hold back the answer to an attempt for (realm, authid).
    Clock::duration authid_delay(const std::string& realm, const std::string& authid,
                                 Clock::time_point now);

    /// What a failure changed, for the log.
    struct Outcome {
        bool address_locked = false; // this failure locked the address out
        Clock::duration lockout{0};
        bool authid_throttled = false; // the authid's answers are slowed from now on
    };
    Outcome failed(const std::string& address, const std::string& realm, const std::string& authid,
                   Clock::time_point now);
    /// A success clears the address's failures (not the authid's: an attacker
    /// must not be able to reset them).
    void succeeded(const std::string& address);

    /// Attempts refused at HELLO so far (address lockouts), and answers held
    /// back (authid delays).
    std::uint64_t refused() const;
    std::uint64_t delayed() const;

private:
    struct Failures {
        std::uint32_t count = 0;
        Clock::time_point last;
        Clock::time_point locked_until;
    };
    Clock::duration backoff(std::uint32_t over, Clock::duration cap) const;
    Failures* live(std::unordered_map<std::string, Failures>& map, const std::string& key,
                   Clock::time_point now);
    void bound(std::unordered_map<std::string, Failures>& map, Clock::time_point now);

    const AuthThrottleConfig config_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, Failures> by_address_;
    std::unordered_map<std::string, Failures> by_authid_; // key: realm '\0' authid
    std::uint64_t refused_ = 0;
    std::uint64_t delayed_ = 0;
};

} // namespace nexus::router
