#include "phases.hpp"

#include <thread>

namespace wampbench {

Window measure(Runner& runner, const Options& options) {
    using clock = std::chrono::steady_clock;
    runner.set_phase(Phase::warmup);
    std::this_thread::sleep_for(std::chrono::duration<double>(options.warmup));

    Window w;
    const std::uint64_t base = runner.total(&ThreadStats::measured);
    const double cpu0 = own_cpu_seconds();
    const auto server0 = options.pid ? process_cpu_seconds(options.pid) : std::nullopt;
    if (options.pid) w.server_rss_start = process_rss_bytes(options.pid).value_or(0);
    const auto t0 = clock::now();
    runner.set_phase(Phase::measure);
    // --count bounds the window by work done; ten minutes bound a run that stalls.
    const auto limit = options.count ? std::chrono::duration<double>(600)
                                     : std::chrono::duration<double>(options.duration);
    while (clock::now() - t0 < limit) {
        if (options.count && runner.total(&ThreadStats::measured) - base >= options.count) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(options.count ? 1 : 10));
    }
    runner.set_phase(Phase::drain);
    w.seconds = std::chrono::duration<double>(clock::now() - t0).count();
    w.own_cpu = own_cpu_seconds() - cpu0;
    if (options.pid) w.server_rss_end = process_rss_bytes(options.pid).value_or(0);
    if (server0)
        if (auto server1 = process_cpu_seconds(options.pid)) w.server_cpu = *server1 - *server0;
    return w;
}

void report_cpu(Report& report, const Window& w) {
    report.add("bench_cpu", 100.0 * w.own_cpu / w.seconds, "% of a core");
    if (w.server_cpu) report.add("server_cpu", 100.0 * *w.server_cpu / w.seconds, "% of a core");
}

void wait_until(const std::function<bool()>& settled, double limit_seconds) {
    const auto end =
        std::chrono::steady_clock::now() + std::chrono::duration<double>(limit_seconds);
    while (!settled() && std::chrono::steady_clock::now() < end)
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
}

} // namespace wampbench
