// pubsub: P publishers, publisher p publishing to topic p % T, S subscribers
// per topic. Closed loop by default: a publisher keeps at most W publications
// whose events have not yet reached all S subscribers (the subscribers are in
// this process, so they tell it); --rate paces the publications instead.
// Lost events = events published x subscribers of the topic - events received.
#include <atomic>
#include <iostream>
#include <memory>
#include <thread>
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

std::string topic_uri(unsigned index) { return "bench.topic." + std::to_string(index); }

class Publisher;

/// What subscribers on any thread tell a publisher: deliveries so far.
struct Feedback {
    std::atomic<std::uint64_t> delivered{0};
    std::atomic<bool> waiting{false};
    Publisher* publisher = nullptr;
    asio::io_context* io = nullptr;
};

class Publisher final : public Session {
public:
    Publisher(asio::io_context& io, const Target& t, std::string uri, ThreadStats& stats,
              Runner& runner, const StampWriter& stamp, unsigned index, Feedback& feedback,
              unsigned fanout, unsigned window, double rate)
        : Session(io, t, Setup::publish, std::move(uri)), stats_(stats), runner_(runner),
          stamp_(stamp), topic_item_(encode_string_item(t.format, this->uri())), index_(index),
          feedback_(feedback), fanout_(fanout), window_(window), rate_(rate), timer_(io) {}

    void go() {
        start_ns_ = now_ns();
        pump();
        tick();
    }

    /// Publishes what the window (or the pace) allows now.
    void pump() {
        while (runner_.phase() < Phase::drain) {
            if (rate_ > 0) {
                const double elapsed = static_cast<double>(now_ns() - start_ns_) / 1e9;
                if (static_cast<double>(seq_) >= elapsed * rate_) break;
            } else if (!window_open()) {
                // Announce we wait, then look again: a delivery between the two is not missed.
                feedback_.waiting.store(true);
                if (!window_open()) break;
                feedback_.waiting.store(false);
            }
            publish();
        }
        link().flush();
    }

    std::uint64_t published() const { return seq_; }

    /// Its thread's executor.
    asio::any_io_executor executor() { return timer_.get_executor(); }

    /// One probe publication (see write_probe), before the measured run.
    void probe() {
        WireWriter w(target().format, link().begin_frame());
        w.begin_list(5);
        w.uint(msg::publish);
        w.uint(next_request());
        w.empty_dict();
        w.raw(topic_item_);
        write_probe(w, index_);
        w.end_list();
        link().end_frame();
        link().flush();
    }

private:
    bool window_open() const {
        const std::uint64_t delivered =
            feedback_.delivered.load(std::memory_order_acquire) + forgiven_;
        return seq_ * fanout_ < delivered + std::uint64_t{window_} * fanout_;
    }

    void publish() {
        WireWriter w(target().format, link().begin_frame());
        w.begin_list(5);
        w.uint(msg::publish);
        w.uint(next_request());
        w.empty_dict();
        w.raw(topic_item_);
        stamp_.write(w, {now_ns(), index_, seq_++});
        w.end_list();
        link().end_frame();
        stats_.sent.add();
    }

    // Paces --rate, and un-sticks the window when events were lost: after
    // 200 ms without a delivery the missing ones are written off.
    void tick() {
        if (runner_.phase() >= Phase::drain) return;
        const std::uint64_t delivered = feedback_.delivered.load();
        const std::uint64_t now = now_ns();
        if (rate_ > 0 || delivered != last_delivered_ || window_open()) {
            progress_ns_ = now;
        } else if (now - progress_ns_ > 200'000'000) {
            forgiven_ = seq_ * fanout_ - delivered;
            progress_ns_ = now;
        }
        last_delivered_ = delivered;
        pump();
        timer_.expires_after(pacing_interval(rate_));
        timer_.async_wait([this](auto ec) {
            if (!ec) tick();
        });
    }

    // Publications are not acknowledged; an ERROR means the router refused one.
    void on_message(std::uint64_t type, const ListItems&) override {
        if (type == msg::error) stats_.errors.add();
    }
    void on_lost(std::string_view) override { stats_.lost_links.add(); }

    ThreadStats& stats_;
    Runner& runner_;
    const StampWriter& stamp_;
    std::string topic_item_;
    unsigned index_;
    Feedback& feedback_;
    std::uint64_t fanout_;
    unsigned window_;
    double rate_;
    asio::steady_timer timer_;
    std::uint64_t seq_ = 0;
    std::uint64_t start_ns_ = 0;
    std::uint64_t forgiven_ = 0;
    std::uint64_t last_delivered_ = 0;
    std::uint64_t progress_ns_ = 0; // last time the window moved
};

/// Subscribers that heard a probe from every publisher of their topic.
struct Reach {
    std::atomic<std::size_t> subscribers{0};
};

class Subscriber final : public Session {
public:
    /// `senders`: the publishers of its topic, whose probes it counts into `reach`.
    Subscriber(asio::io_context& io, const Target& t, std::string uri, ThreadStats& stats,
               Runner& runner, std::vector<std::unique_ptr<Feedback>>& feedback, bool stalled,
               std::size_t senders, Reach& reach)
        : Session(io, t, Setup::subscribe, std::move(uri)), stats_(stats), runner_(runner),
          feedback_(feedback), unreported_(feedback.size(), 0), last_seq_(feedback.size(), 0),
          heard_(feedback.size(), false), senders_(senders), reach_(reach), stalled_(stalled) {}

    std::uint64_t out_of_order() const { return out_of_order_; }

private:
    // EVENT [36, Subscription, Publication, Details, Args] and, through the
    // forwarder, PUBLISH [16, Request, Options, Topic, Args]: same places.
    void on_message(std::uint64_t type, const ListItems& items) override {
        if (stalled_) return link().stop_reading();
        if ((type != msg::event && !(target().forwarder && type == msg::publish)) ||
            items.count < 5)
            return stats_.errors.add();
        const auto stamp = read_stamp(target().format, items.item[4]);
        if (!stamp) return on_probe(read_probe(target().format, items.item[4]));
        if (stamp->sender >= feedback_.size()) return stats_.errors.add();
        stats_.done.add();
        if (runner_.phase() == Phase::measure) {
            stats_.latency.record(now_ns() - stamp->sent_ns);
            stats_.measured.add();
        }
        // Events of one publisher arrive in publication order (pubsub ordering guarantee).
        auto& last = last_seq_[stamp->sender];
        if (stamp->seq + 1 < last) ++out_of_order_;
        last = stamp->seq + 1;
        ++unreported_[stamp->sender];
    }

    // Reports deliveries once per read batch, not per event: one atomic add
    // per publisher heard from, and a wake-up only for a waiting publisher.
    void on_batch_end() override {
        for (std::size_t p = 0; p < unreported_.size(); ++p) {
            if (!unreported_[p]) continue;
            Feedback& f = *feedback_[p];
            f.delivered.fetch_add(unreported_[p], std::memory_order_release);
            unreported_[p] = 0;
            if (f.waiting.load() && f.waiting.exchange(false))
                asio::post(*f.io, [pub = f.publisher] { pub->pump(); });
        }
    }

    void on_lost(std::string_view) override { stats_.lost_links.add(); }

    void on_probe(std::optional<std::uint64_t> sender) {
        if (!sender || *sender >= heard_.size()) return stats_.errors.add();
        if (heard_[*sender]) return;
        heard_[*sender] = true;
        if (++heard_count_ == senders_) reach_.subscribers.fetch_add(1);
    }

    ThreadStats& stats_;
    Runner& runner_;
    std::vector<std::unique_ptr<Feedback>>& feedback_;
    std::vector<std::uint64_t> unreported_;
    std::vector<std::uint64_t> last_seq_;
    std::vector<bool> heard_; // probes, by publisher
    std::size_t heard_count_ = 0;
    std::size_t senders_;
    Reach& reach_;
    std::uint64_t out_of_order_ = 0;
    bool stalled_;
};

/// Until every subscriber hears every publisher of its topic (subscriptions
/// reach a cluster's other nodes a moment after SUBSCRIBED), publishers send
/// probes; the error if that takes too long.
std::optional<std::string> wait_reach(const std::vector<std::unique_ptr<Publisher>>& publishers,
                                      const Reach& reach, std::size_t subscribers) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    for (std::size_t round = 0; reach.subscribers.load() < subscribers; ++round) {
        if (std::chrono::steady_clock::now() > give_up)
            return std::to_string(subscribers - reach.subscribers.load()) +
                   " subscribers never heard from every publisher of their topic";
        if (round % 25 == 0) // every 50 ms
            for (const auto& p : publishers)
                asio::post(p->executor(), [pub = p.get()] { pub->probe(); });
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return std::nullopt;
}

} // namespace

int run_pubsub(const Options& o) {
    Runner runner(o.threads);
    const StampWriter stamp(o.target.format, o.payload);
    std::vector<std::unique_ptr<Feedback>> feedback;
    std::vector<std::unique_ptr<Publisher>> publishers;
    std::vector<std::unique_ptr<Subscriber>> subscribers;
    for (unsigned p = 0; p < o.publishers; ++p)
        feedback.push_back(std::make_unique<Feedback>());
    Reach reach;
    // Publishers of topic t: p = t, t + T, ... below P.
    const auto senders = [&](unsigned t) { return (o.publishers - t + o.topics - 1) / o.topics; };
    std::size_t slot = 0; // spreads sessions over the threads (and the URLs)
    for (unsigned t = 0; t < o.topics; ++t)
        for (unsigned s = 0; s < o.subscribers; ++s, ++slot)
            subscribers.push_back(std::make_unique<Subscriber>(
                runner.io(slot), o.target_for(Role::subscriber, slot), topic_uri(t),
                runner.stats(slot), runner, feedback, false, senders(t), reach));
    for (unsigned k = 0; k < o.stalled; ++k, ++slot)
        subscribers.push_back(std::make_unique<Subscriber>(
            runner.io(slot), o.target_for(Role::subscriber, slot), topic_uri(0), runner.stats(slot),
            runner, feedback, true, senders(0), reach));
    for (unsigned p = 0; p < o.publishers; ++p, ++slot) {
        publishers.push_back(std::make_unique<Publisher>(
            runner.io(slot), o.target_for(Role::publisher, p), topic_uri(p % o.topics),
            runner.stats(slot), runner, stamp, p, *feedback[p], o.subscribers, o.in_flight,
            o.rate / o.publishers));
        feedback[p]->publisher = publishers.back().get();
        feedback[p]->io = &runner.io(slot);
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
    for (auto& s : subscribers)
        start(*s, runner.io(slot++));
    for (auto& p : publishers)
        start(*p, runner.io(slot++));
    if (auto err =
            runner.wait_setup(subscribers.size() + publishers.size(), std::chrono::seconds(60)))
        report.set_error(*err);
    if (!report.failed() && o.spread())
        if (auto err = wait_reach(publishers, reach, std::size_t{o.topics} * o.subscribers))
            report.set_error(*err);
    if (!report.failed()) {
        slot = subscribers.size();
        for (auto& p : publishers)
            asio::post(runner.io(slot++), [p = p.get()] { p->go(); });
        const Window w = measure(runner, o);
        // Expected deliveries: publications of each publisher x subscribers of its topic.
        const auto expected = [&] { return runner.total(&ThreadStats::sent) * o.subscribers; };
        wait_until([&] { return runner.total(&ThreadStats::done) >= expected(); }, 3.0);
        const auto measured = static_cast<double>(runner.total(&ThreadStats::measured));
        const std::uint64_t received = runner.total(&ThreadStats::done);
        report.add("events", measured, "");
        report.add("events_per_s", measured / w.seconds, "events/s");
        report.add("publications", static_cast<double>(runner.total(&ThreadStats::sent)), "");
        report.add("seconds", w.seconds, "s");
        report.add("lost_events",
                   static_cast<double>(expected() > received ? expected() - received : 0), "");
        report.add("errors", static_cast<double>(runner.total(&ThreadStats::errors)), "");
        report.add("lost_connections", static_cast<double>(runner.total(&ThreadStats::lost_links)),
                   "");
        report_cpu(report, w);
        if (w.server_rss_start && w.server_rss_end) {
            report.add("server_rss_start", static_cast<double>(w.server_rss_start) / 1024.0, "KiB");
            report.add("server_rss_end", static_cast<double>(w.server_rss_end) / 1024.0, "KiB");
        }
    }
    runner.stop();
    std::uint64_t disorder = 0;
    for (auto& s : subscribers)
        disorder += s->out_of_order();
    if (!report.failed()) report.add("out_of_order", static_cast<double>(disorder), "");
    report.set_latency(runner.latency());
    report.print(std::cout, o.json);
    return report.failed() ? 2 : 0;
}

} // namespace wampbench
