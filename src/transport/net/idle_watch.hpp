// Liveness by PING, for both transports that frame their own messages: a
// PING once the peer has sent nothing for half the idle timeout, the end of
// the connection once it has sent nothing (not even the PONG) for all of it.
// Unlike TCP keepalive this finds peers whose host answers while their
// application hangs. The connection runs the timer; this decides.
#pragma once

#include <chrono>

namespace nexus::transport {

class IdleWatch {
public:
    using Clock = std::chrono::steady_clock;

    /// 0: no idle timeout.
    explicit IdleWatch(std::chrono::milliseconds timeout)
        : timeout_(std::chrono::duration_cast<Clock::duration>(timeout)) {}

    bool enabled() const { return timeout_.count() > 0; }
    /// How long until the first check().
    Clock::duration first_check() const { return timeout_ / 2; }

    /// Bytes came from the peer (or watching starts).
    void heard() {
        if (!enabled()) return;
        last_heard_ = Clock::now();
        pinged_ = false;
    }

    struct Step {
        bool close = false;     // the peer has been silent for the whole timeout
        bool ping = false;      // send a PING now
        Clock::duration next{}; // when to check() again (unless closing)
    };
    Step check() {
        Step step;
        const auto silent = Clock::now() - last_heard_;
        if (silent >= timeout_) {
            step.close = true;
            return step;
        }
        if (silent >= timeout_ / 2 && !pinged_) pinged_ = step.ping = true;
        step.next = pinged_ ? timeout_ - silent : timeout_ / 2 - silent;
        return step;
    }

private:
    Clock::duration timeout_;
    Clock::time_point last_heard_{};
    bool pinged_ = false; // a PING went out since the peer was last heard
};

} // namespace nexus::transport
