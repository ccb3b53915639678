// The router under concurrent load and with a peer that stops reading.
#include "support/router_fixture.hpp"

#include <atomic>

using namespace nexus;
using namespace nexus::test;
using wamp::Array;
using wamp::Payload;

namespace {

// A client that only counts what it receives (no copies kept).
struct Counter {
    std::atomic<std::uint64_t> events{0};
    std::atomic<std::uint64_t> results{0};
    std::atomic<wamp::Id> session{0};
    std::atomic<bool> closed{false};
    std::shared_ptr<transport::LocalConnection> conn;

    Counter(router::Router& router, boost::asio::any_io_executor ex) {
        conn = transport::LocalConnection::connect(
            router, ex,
            [this](const wamp::Message& m) {
                if (std::holds_alternative<wamp::Event>(m)) {
                    events.fetch_add(1, std::memory_order_relaxed);
                } else if (std::holds_alternative<wamp::Result>(m)) {
                    results.fetch_add(1, std::memory_order_relaxed);
                } else if (auto* w = std::get_if<wamp::Welcome>(&m)) {
                    session = w->session;
                } else if (auto* inv = std::get_if<wamp::Invocation>(&m)) {
                    // echo callee
                    conn->send(wamp::Yield{inv->request, {}, inv->payload});
                }
            },
            [this] { closed = true; });
    }
    void join() {
        conn->send(wamp::Hello{"realm1",
                               {{"roles", wamp::Object{{"subscriber", wamp::Object{}},
                                                       {"publisher", wamp::Object{}},
                                                       {"caller", wamp::Object{}},
                                                       {"callee", wamp::Object{}}}}}});
    }
};

template <class Pred> bool eventually(Pred pred, std::chrono::milliseconds limit = 20s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!pred()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(1ms);
    }
    return true;
}

router::RouterConfig small_queue_config(router::OverflowPolicy policy) {
    router::RouterConfig config = RouterFixture::default_config();
    config.out_queue_size = 1000;
    config.overflow = policy;
    return config;
}

class Load : public RouterFixture {
protected:
    Load() : RouterFixture(default_config(), 4) {}
};

} // namespace

TEST_F(Load, ManyThreadsPublishAndCallConcurrently) {
    constexpr int threads = 4;
    constexpr int per_thread = 500;
    Counter subscriber(router(), io_.get_executor());
    Counter callee(router(), io_.get_executor());
    subscriber.join();
    callee.join();
    ASSERT_TRUE(eventually([&] { return subscriber.session && callee.session; }));
    subscriber.conn->send(wamp::Subscribe{1, {}, "com.load"});
    callee.conn->send(wamp::Register{1, {}, "com.echo"});

    // Make sure both took effect before the storm.
    TestClient& probe = joined();
    probe.send(wamp::Call{1, {}, "com.echo", {}});
    probe.expect<wamp::Result>();

    std::vector<std::unique_ptr<Counter>> callers;
    for (int t = 0; t < threads; ++t) {
        callers.push_back(std::make_unique<Counter>(router(), io_.get_executor()));
        callers.back()->join();
    }
    ASSERT_TRUE(eventually([&] {
        for (auto& c : callers)
            if (!c->session) return false;
        return true;
    }));
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&, t] {
            Counter& me = *callers[t];
            for (int i = 1; i <= per_thread; ++i) {
                me.conn->send(wamp::Publish{wamp::Id(2 * i), {}, "com.load", Payload(Array{i})});
                me.conn->send(wamp::Call{wamp::Id(2 * i + 1), {}, "com.echo", Payload(Array{i})});
            }
        });
    }
    for (auto& w : workers)
        w.join();
    EXPECT_TRUE(eventually([&] { return subscriber.events == threads * per_thread; }))
        << subscriber.events;
    EXPECT_TRUE(eventually([&] {
        std::uint64_t n = 0;
        for (auto& c : callers)
            n += c->results;
        return n == threads * per_thread;
    }));
}

namespace {

class SlowPeer : public RouterFixture {
protected:
    explicit SlowPeer(router::OverflowPolicy policy = router::OverflowPolicy::drop_events)
        : RouterFixture(small_queue_config(policy), 2) {}

    // A client whose executor is never run: it never drains its queue.
    boost::asio::io_context stalled_;
};

class SlowPeerDisconnect : public SlowPeer {
protected:
    SlowPeerDisconnect() : SlowPeer(router::OverflowPolicy::disconnect) {}
};

void storm(router::Router& router, boost::asio::io_context& io, Counter& slow, int events,
           std::vector<std::unique_ptr<Counter>>& fast) {
    for (int i = 0; i < 3; ++i) {
        fast.push_back(std::make_unique<Counter>(router, io.get_executor()));
        fast.back()->join();
        fast.back()->conn->send(wamp::Subscribe{1, {}, "com.storm"});
    }
    slow.join();
    slow.conn->send(wamp::Subscribe{1, {}, "com.storm"});
    Counter publisher(router, io.get_executor());
    publisher.join();
    ASSERT_TRUE(eventually([&] { return publisher.session.load() != 0; }));
    // A round trip through each fast subscriber's connection proves its
    // SUBSCRIBE was routed before the storm starts.
    for (auto& f : fast)
        ASSERT_TRUE(eventually([&] { return f->session.load() != 0; }));
    publisher.conn->send(wamp::Publish{1, {{"acknowledge", true}}, "com.warmup", {}});
    std::this_thread::sleep_for(50ms);
    // The publisher keeps at most `window` events ahead of the fast
    // subscribers (as a network publisher would be paced by its socket); the
    // stalled peer never reads at all.
    constexpr int window = 500;
    for (int i = 0; i < events; ++i) {
        if (i % window == 0 && i >= window) {
            const auto behind = static_cast<std::uint64_t>(i - window);
            for (auto& f : fast)
                ASSERT_TRUE(eventually([&] { return f->events >= behind; }));
        }
        publisher.conn->send(wamp::Publish{wamp::Id(i + 2), {}, "com.storm", Payload(Array{i})});
    }
}

} // namespace

TEST_F(SlowPeer, OthersReceiveEverythingAndTheSlowOneIsBounded) {
    constexpr int events = 100'000;
    Counter slow(router(), stalled_.get_executor());
    std::vector<std::unique_ptr<Counter>> fast;
    storm(router(), io_, slow, events, fast);
    for (auto& f : fast) {
        EXPECT_TRUE(eventually([&] { return f->events == events; })) << f->events;
        EXPECT_EQ(f->conn->dropped_events(), 0u);
    }
    // The slow peer's queue never grew past its limit: it holds WELCOME,
    // SUBSCRIBED and at most 998 events; everything else was dropped and counted.
    const std::uint64_t dropped = slow.conn->dropped_events();
    EXPECT_GE(dropped, static_cast<std::uint64_t>(events - 1000));
    stalled_.run_for(2s);
    EXPECT_EQ(slow.events + dropped, static_cast<std::uint64_t>(events));
    EXPECT_FALSE(slow.closed);
}

TEST_F(SlowPeerDisconnect, TheSlowOneIsDisconnected) {
    constexpr int events = 20'000;
    Counter slow(router(), stalled_.get_executor());
    std::vector<std::unique_ptr<Counter>> fast;
    storm(router(), io_, slow, events, fast);
    for (auto& f : fast)
        EXPECT_TRUE(eventually([&] { return f->events == events; })) << f->events;
    EXPECT_EQ(slow.conn->dropped_events(), 0u);
    stalled_.run_for(2s);
    EXPECT_TRUE(slow.closed);
    EXPECT_LE(slow.events, 1000u);
    EXPECT_TRUE(eventually([&] {
        return router().session_count() == 3;
    })); // the fast three; the publisher left with storm()
}
