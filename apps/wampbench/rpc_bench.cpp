// rpc: C callers keep W calls each in flight (or pace them at --rate) to the
// procedures of M callees, which echo the arguments. Against the forwarder
// each caller has its own callee connection (a channel joins two peers), so
// the callee side is C connections instead of M.
#include <iostream>
#include <memory>
#include <vector>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "benches.hpp"
#include "phases.hpp"
#include "session.hpp"
#include "stamp.hpp"

namespace wampbench {
namespace {

namespace asio = boost::asio;

std::string procedure_uri(unsigned index) { return "bench.rpc." + std::to_string(index); }

class Callee final : public Session {
public:
    Callee(asio::io_context& io, const Target& t, std::string uri, ThreadStats& stats)
        : Session(io, t, Setup::register_procedure, std::move(uri)), stats_(stats) {}

private:
    // INVOCATION [68, Request, Registration, Details, Args] and, through the
    // forwarder, CALL [48, Request, Options, Procedure, Args]: same places.
    void on_message(std::uint64_t type, const ListItems& items) override {
        if (type != msg::invocation && !(target().forwarder && type == msg::call)) {
            stats_.errors.add();
            return;
        }
        const auto request = read_uint(target().format, items.item[1]);
        if (!request) return stats_.errors.add();
        WireWriter w(target().format, link().begin_frame());
        w.begin_list(items.count > 4 ? 4 : 3);
        w.uint(msg::yield);
        w.uint(*request);
        w.empty_dict();
        if (items.count > 4) w.raw(items.item[4]);
        w.end_list();
        link().end_frame();
    }
    void on_lost(std::string_view) override { stats_.lost_links.add(); }

    ThreadStats& stats_;
};

class Caller final : public Session {
public:
    /// `remote`: its callee is on another router (see Setup::call_when_callable).
    Caller(asio::io_context& io, const Target& t, std::string uri, ThreadStats& stats,
           Runner& runner, const StampWriter& stamp, unsigned index, unsigned window, double rate,
           bool remote)
        : Session(io, t, remote ? Setup::call_when_callable : Setup::call, std::move(uri)),
          stats_(stats), runner_(runner), stamp_(stamp),
          proc_item_(encode_string_item(t.format, this->uri())), index_(index), window_(window),
          rate_(rate), timer_(io) {}

    /// Starts calling (on the caller's thread).
    void go() {
        start_ns_ = now_ns();
        if (rate_ > 0) return tick();
        while (in_flight_ < window_)
            call();
        link().flush();
    }

private:
    void call() {
        WireWriter w(target().format, link().begin_frame());
        w.begin_list(5);
        w.uint(msg::call);
        w.uint(next_request());
        w.empty_dict();
        w.raw(proc_item_);
        stamp_.write(w, {now_ns(), index_, seq_++});
        w.end_list();
        link().end_frame();
        ++in_flight_;
        stats_.sent.add();
    }

    // Paced mode: at each tick, send the calls that are due (within the window).
    void tick() {
        if (runner_.phase() >= Phase::drain) return;
        const double elapsed = static_cast<double>(now_ns() - start_ns_) / 1e9;
        const auto due = static_cast<std::uint64_t>(elapsed * rate_);
        while (seq_ < due && in_flight_ < window_)
            call();
        link().flush();
        timer_.expires_after(pacing_interval(rate_));
        timer_.async_wait([this](auto ec) {
            if (!ec) tick();
        });
    }

    // RESULT [50, Request, Details, Args] and, through the forwarder, YIELD
    // [70, Request, Options, Args]: same places.
    void on_message(std::uint64_t type, const ListItems& items) override {
        const Format f = target().format;
        if (type == msg::error) { // a reply all the same: counted as done and as an error
            --in_flight_;
            stats_.done.add();
            stats_.errors.add();
        } else if (type == msg::result || (target().forwarder && type == msg::yield)) {
            --in_flight_;
            stats_.done.add();
            const auto stamp = items.count > 3 ? read_stamp(f, items.item[3]) : std::nullopt;
            if (!stamp) {
                stats_.errors.add();
            } else if (runner_.phase() == Phase::measure) {
                stats_.latency.record(now_ns() - stamp->sent_ns);
                stats_.measured.add();
            }
        } else {
            return stats_.errors.add();
        }
        if (rate_ == 0 && runner_.phase() < Phase::drain) call();
    }
    void on_lost(std::string_view) override { stats_.lost_links.add(); }

    ThreadStats& stats_;
    Runner& runner_;
    const StampWriter& stamp_;
    std::string proc_item_;
    unsigned index_;
    unsigned window_;
    double rate_; // per caller
    asio::steady_timer timer_;
    std::uint64_t in_flight_ = 0;
    std::uint64_t seq_ = 0;
    std::uint64_t start_ns_ = 0;
};

} // namespace

int run_rpc(const Options& o) {
    Runner runner(o.threads);
    const StampWriter stamp(o.target.format, o.payload);
    std::vector<std::unique_ptr<Callee>> callees;
    std::vector<std::unique_ptr<Caller>> callers;
    std::size_t slot = 0; // spreads sessions over the threads
    const unsigned callee_count = o.target.forwarder ? o.callers : o.callees;
    for (unsigned i = 0; i < callee_count; ++i, ++slot)
        callees.push_back(std::make_unique<Callee>(runner.io(slot), o.target_for(Role::callee, i),
                                                   procedure_uri(i), runner.stats(slot)));
    for (unsigned i = 0; i < o.callers; ++i, ++slot) {
        const Target& at = o.target_for(Role::caller, i);
        const bool remote = !same_endpoint(at, o.target_for(Role::callee, i % callee_count));
        callers.push_back(std::make_unique<Caller>(
            runner.io(slot), at, procedure_uri(i % callee_count), runner.stats(slot), runner, stamp,
            i, o.in_flight, o.rate / o.callers, remote));
    }

    Report report(o);
    const auto start = [&](Session& s, asio::io_context& io) {
        asio::post(io, [&s, &runner] {
            s.start([&runner](bool ok, std::string_view why) {
                ok ? runner.setup_ok() : runner.setup_failed(why);
            });
        });
    };
    slot = 0;
    for (auto& c : callees)
        start(*c, runner.io(slot++));
    if (auto err = runner.wait_setup(callees.size(), std::chrono::seconds(30))) {
        report.set_error(*err);
    } else {
        for (auto& c : callers)
            start(*c, runner.io(slot++));
        if (auto err2 =
                runner.wait_setup(callees.size() + callers.size(), std::chrono::seconds(30)))
            report.set_error(*err2);
    }
    if (!report.failed()) {
        slot = callees.size();
        for (auto& c : callers)
            asio::post(runner.io(slot++), [c = c.get()] { c->go(); });
        const Window w = measure(runner, o);
        // Let the calls in flight come back: they count for the lost figure.
        wait_until(
            [&] { return runner.total(&ThreadStats::done) >= runner.total(&ThreadStats::sent); },
            5.0);
        const auto measured = static_cast<double>(runner.total(&ThreadStats::measured));
        report.add("calls", measured, "");
        report.add("calls_per_s", measured / w.seconds, "calls/s");
        report.add("seconds", w.seconds, "s");
        report.add("errors", static_cast<double>(runner.total(&ThreadStats::errors)), "");
        report.add("unanswered",
                   static_cast<double>(runner.total(&ThreadStats::sent) -
                                       runner.total(&ThreadStats::done)),
                   "calls");
        report.add("lost_connections", static_cast<double>(runner.total(&ThreadStats::lost_links)),
                   "");
        report_cpu(report, w);
    }
    runner.stop();
    report.set_latency(runner.latency());
    report.print(std::cout, o.json);
    for (auto& c : callers)
        c->close();
    for (auto& c : callees)
        c->close();
    return report.failed() ? 2 : 0;
}

} // namespace wampbench
