// connect: N loops, each one connecting, joining (HELLO/WELCOME, or the
// forwarder's channel join), leaving with GOODBYE and starting over. A
// session counts when its WELCOME arrives; its latency is from the start of
// the TCP connect to the WELCOME.
#include <deque>
#include <iostream>
#include <memory>
#include <vector>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "benches.hpp"
#include "phases.hpp"
#include "session.hpp"

namespace wampbench {
namespace {

namespace asio = boost::asio;

class PlainSession final : public Session {
public:
    PlainSession(asio::io_context& io, const Target& t, std::string channel)
        : Session(io, t, Setup::none, std::move(channel)) {}

private:
    void on_message(std::uint64_t, const ListItems&) override {}
    void on_lost(std::string_view) override {}
};

class ConnectLoop {
public:
    ConnectLoop(asio::io_context& io, const Options& o, ThreadStats& stats, Runner& runner,
                unsigned index)
        : io_(io), target_(o.target_for(Role::any, index)), stats_(stats), runner_(runner),
          pause_(io), channel_("bench.connect." + std::to_string(index)) {}

    void next() {
        if (runner_.phase() >= Phase::drain) return;
        auto session = std::make_unique<PlainSession>(io_, target_, channel_);
        PlainSession* s = session.get();
        bury(std::move(session)); // owned by the graveyard from now: freed when surely idle
        const std::uint64_t t0 = now_ns();
        s->start([this, s, t0](bool ok, std::string_view) {
            if (!ok) { // refused or reset: note it and go on after a short pause
                stats_.errors.add();
                pause_.expires_after(std::chrono::milliseconds(10));
                pause_.async_wait([this](auto ec) {
                    if (!ec) next();
                });
                return;
            }
            stats_.done.add();
            if (runner_.phase() == Phase::measure) {
                stats_.latency.record(now_ns() - t0);
                stats_.measured.add();
            }
            s->leave([this, s](bool, std::string_view) {
                s->close();
                next();
            });
        });
    }

private:
    // A closed session may still have an aborted read or write completion
    // queued that refers to it; keeping it for a second makes freeing safe.
    void bury(std::unique_ptr<Session> s) {
        const std::uint64_t now = now_ns();
        while (!graveyard_.empty() && now - graveyard_.front().first > 1'000'000'000ull)
            graveyard_.pop_front();
        graveyard_.emplace_back(now, std::move(s));
    }

    asio::io_context& io_;
    const Target& target_; // loops take the URLs in turn
    ThreadStats& stats_;
    Runner& runner_;
    asio::steady_timer pause_;
    std::string channel_;
    std::deque<std::pair<std::uint64_t, std::unique_ptr<Session>>> graveyard_;
};

} // namespace

int run_connect(const Options& o) {
    raise_file_limit();
    Runner runner(o.threads);
    std::vector<std::unique_ptr<ConnectLoop>> loops;
    for (unsigned i = 0; i < o.concurrency; ++i)
        loops.push_back(std::make_unique<ConnectLoop>(runner.io(i), o, runner.stats(i), runner, i));
    for (unsigned i = 0; i < o.concurrency; ++i)
        asio::post(runner.io(i), [l = loops[i].get()] { l->next(); });
    Report report(o);
    const Window w = measure(runner, o);
    runner.stop();
    const auto measured = static_cast<double>(runner.total(&ThreadStats::measured));
    report.add("sessions", measured, "");
    report.add("sessions_per_s", measured / w.seconds, "sessions/s");
    report.add("seconds", w.seconds, "s");
    report.add("failed", static_cast<double>(runner.total(&ThreadStats::errors)), "");
    report_cpu(report, w);
    report.set_latency(runner.latency());
    if (runner.total(&ThreadStats::done) == 0) report.set_error("no session could be established");
    report.print(std::cout, o.json);
    return report.failed() ? 2 : 0;
}

} // namespace wampbench
