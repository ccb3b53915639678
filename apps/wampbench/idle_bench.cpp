// idle: joins K sessions (at most --concurrency being set up at once), holds
// them for --duration and reports the server's resident memory growth per
// session (VmRSS of --pid before the first and after the last join).
#include <chrono>
#include <iostream>
#include <memory>
#include <thread>
#include <vector>

#include <boost/asio/post.hpp>

#include "benches.hpp"
#include "phases.hpp"
#include "session.hpp"

namespace wampbench {
namespace {

namespace asio = boost::asio;

class IdleSession final : public Session {
public:
    IdleSession(asio::io_context& io, const Target& t, std::string channel, ThreadStats& stats)
        : Session(io, t, Setup::none, std::move(channel)), stats_(stats) {}

private:
    void on_message(std::uint64_t, const ListItems&) override {}
    void on_lost(std::string_view) override { stats_.lost_links.add(); }
    ThreadStats& stats_;
};

} // namespace

int run_idle(const Options& o) {
    const std::uint64_t files = raise_file_limit();
    Report report(o);
    if (files && o.sessions + 64 > files) {
        report.set_error("the open-file limit (" + std::to_string(files) + ") is below --sessions");
        report.print(std::cout, o.json);
        return 2;
    }
    Runner runner(o.threads);
    std::vector<std::unique_ptr<IdleSession>> sessions;
    // 0: unknown (no --pid, or /proc unreadable).
    const std::uint64_t rss0 = o.pid ? process_rss_bytes(o.pid).value_or(0) : 0;
    const auto t0 = std::chrono::steady_clock::now();
    for (unsigned i = 0; i < o.sessions && !report.failed(); i += o.concurrency) {
        const unsigned end = std::min(o.sessions, i + o.concurrency);
        for (unsigned k = i; k < end; ++k) {
            sessions.push_back(
                std::make_unique<IdleSession>(runner.io(k), o.target_for(Role::any, k),
                                              "bench.idle." + std::to_string(k), runner.stats(k)));
            asio::post(runner.io(k), [s = sessions.back().get(), &runner] {
                s->start([&runner](bool ok, std::string_view why) {
                    ok ? runner.setup_ok() : runner.setup_failed(why);
                });
            });
        }
        if (auto err = runner.wait_setup(end, std::chrono::seconds(60))) report.set_error(*err);
    }
    const double setup_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!report.failed()) {
        report.add("sessions", static_cast<double>(sessions.size()), "");
        report.add("setup_per_s", static_cast<double>(sessions.size()) / setup_s, "sessions/s");
        std::this_thread::sleep_for(std::chrono::seconds(1)); // let the server settle
        const std::uint64_t rss1 = o.pid ? process_rss_bytes(o.pid).value_or(0) : 0;
        std::this_thread::sleep_for(std::chrono::duration<double>(o.duration));
        const std::uint64_t rss2 = o.pid ? process_rss_bytes(o.pid).value_or(0) : 0;
        if (rss0 && rss1 && rss2) {
            report.add("server_rss_before", static_cast<double>(rss0) / 1024.0, "KiB");
            report.add("server_rss_joined", static_cast<double>(rss1) / 1024.0, "KiB");
            report.add("server_rss_held", static_cast<double>(rss2) / 1024.0, "KiB");
            report.add("rss_per_session",
                       (static_cast<double>(rss2) - static_cast<double>(rss0)) / 1024.0 /
                           static_cast<double>(sessions.size()),
                       "KiB");
        }
        report.add("lost_connections", static_cast<double>(runner.total(&ThreadStats::lost_links)),
                   "");
    }
    runner.stop();
    report.print(std::cout, o.json);
    return report.failed() ? 2 : 0;
}

} // namespace wampbench
