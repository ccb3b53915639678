// How many frames a connection hands to the router per turn of the event
// loop, for the transports that frame their own messages (RawSocket, WebSocket
// after the upgrade).
//
// One read can bring hundreds of frames, and what they produce for other
// connections (a CALL's INVOCATION, a YIELD's RESULT) is written when the turn
// ends. When the thread came to this read after waiting for input, the peers
// are waiting on the router too: handing over all the frames first leaves the
// callee idle until the caller's whole batch is routed, and caller, router and
// callee take turns instead of working side by side. Then a turn takes 16
// frames and the rest wait behind the writes they caused (docs/PERFORMANCE.md:
// one caller with 64 calls in flight, 49-61 % of the forwarder before, 98-118 %
// after). When the thread came straight from other transport work, as the
// rest of such a read does once the first writes are out, it is the
// bottleneck, and small turns would only mean more, smaller writes (8 callers
// lost a quarter of their calls per second with 16 frames in every turn):
// then a turn takes up to 256, which still keeps one busy connection from
// holding up the others for long.
#pragma once

#include <chrono>
#include <cstddef>

namespace nexus::transport {

class ReadTurns {
public:
    using Clock = std::chrono::steady_clock;

    static constexpr std::size_t idle_frames = 16;
    static constexpr std::size_t busy_frames = 256;
    /// Longer than a handler takes to follow another on a busy thread, shorter
    /// than a peer takes to answer a batch.
    static constexpr std::chrono::microseconds idle_gap{10};

    /// The frames a turn that starts now may hand to the router.
    static std::size_t limit(Clock::time_point now = Clock::now()) noexcept {
        return now - last_work_ > idle_gap ? idle_frames : busy_frames;
    }
    /// This thread just did transport work: a turn, or starting a write.
    static void worked(Clock::time_point now = Clock::now()) noexcept { last_work_ = now; }

private:
    static inline thread_local Clock::time_point last_work_{};
};

} // namespace nexus::transport
