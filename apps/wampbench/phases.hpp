// The common timeline of rpc, pubsub and connect: warm-up, then the measured
// window (a duration, or until --count replies/events), with the bench's own
// CPU and the server's CPU sampled at its edges.
#pragma once

#include <functional>
#include <optional>

#include "options.hpp"
#include "report.hpp"
#include "runner.hpp"

namespace wampbench {

struct Window {
    double seconds = 0;
    double own_cpu = 0;                 // CPU seconds the bench used in the window
    std::optional<double> server_cpu;   // same for --pid
    std::uint64_t server_rss_start = 0; // --pid's resident bytes at the window's edges (0: unknown)
    std::uint64_t server_rss_end = 0;
};

/// Runs warm-up and measurement; the senders must already be going.
Window measure(Runner& runner, const Options& options);

/// Adds the CPU figures of `w` (in % of one core) to `report`.
void report_cpu(Report& report, const Window& w);

/// Waits (up to `limit`) until `settled()` is true; polls every few ms.
void wait_until(const std::function<bool()>& settled, double limit_seconds);

} // namespace wampbench
