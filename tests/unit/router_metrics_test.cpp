// Router::metrics(): known traffic moves each counter by exactly what it
// should; per-thread shards add up; the realm figures follow joins and leaves.
#include "support/router_fixture.hpp"

#include <atomic>
#include <set>
#include <thread>

#include "router/metrics.hpp"
#include "router/thread_slot.hpp"

namespace nexus::test {
namespace {

template <class F> bool wait_until(F condition, std::chrono::milliseconds limit = 3000ms) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (!condition()) {
        if (std::chrono::steady_clock::now() > end) return false;
        std::this_thread::sleep_for(2ms);
    }
    return true;
}

using router::CallOutcome;
using router::MetricsSnapshot;
using wamp::MessageType;

std::uint64_t received(const MetricsSnapshot& m, MessageType t) {
    return m.messages_received[static_cast<std::size_t>(t)];
}
std::uint64_t sent(const MetricsSnapshot& m, MessageType t) {
    return m.messages_sent[static_cast<std::size_t>(t)];
}
std::uint64_t finished(const MetricsSnapshot& m, CallOutcome o) {
    return m.calls_finished[static_cast<std::size_t>(o)];
}
const router::RealmMetrics* realm_of(const MetricsSnapshot& m, const std::string& uri) {
    for (const auto& r : m.realms)
        if (r.uri == uri) return &r;
    return nullptr;
}

class RouterMetricsTest : public RouterFixture {
protected:
    // Calls go through the router; the counters are read once every answer is in.
    void call_and_answer(TestClient& caller, TestClient& callee, const std::string& procedure,
                         bool fail) {
        const wamp::Id request = caller.next_request();
        caller.send(wamp::Call{request, {}, procedure, {}});
        auto inv = callee.expect<wamp::Invocation>();
        if (fail)
            callee.send(wamp::Error{MessageType::invocation, inv.request, {}, "com.error", {}});
        else
            callee.send(wamp::Yield{inv.request, {}, {}});
        if (fail)
            EXPECT_EQ(caller.expect<wamp::Error>().error, "com.error");
        else
            caller.expect<wamp::Result>();
    }
};

TEST_F(RouterMetricsTest, CallsCountEachMessageAndOutcomeExactly) {
    TestClient& callee = joined();
    TestClient& caller = joined();
    callee.send(wamp::Register{callee.next_request(), {}, "com.add"});
    callee.expect<wamp::Registered>();

    const MetricsSnapshot before = router().metrics();
    for (int i = 0; i < 5; ++i)
        call_and_answer(caller, callee, "com.add", false);
    for (int i = 0; i < 2; ++i)
        call_and_answer(caller, callee, "com.add", true);
    caller.send(wamp::Call{caller.next_request(), {}, "com.missing", {}});
    EXPECT_EQ(caller.expect<wamp::Error>().error, wamp::errors::no_such_procedure);
    // A call that times out, and one the caller cancels.
    caller.send(wamp::Call{caller.next_request(), {{"timeout", 50}}, "com.add", {}});
    callee.expect<wamp::Invocation>();
    EXPECT_EQ(caller.expect<wamp::Error>().error, wamp::errors::timeout);
    callee.expect<wamp::Interrupt>();
    const wamp::Id canceled = caller.next_request();
    caller.send(wamp::Call{canceled, {}, "com.add", {}});
    callee.expect<wamp::Invocation>();
    caller.send(wamp::Cancel{canceled, {{"mode", "killnowait"}}});
    EXPECT_EQ(caller.expect<wamp::Error>().error, wamp::errors::canceled);
    callee.expect<wamp::Interrupt>();
    const MetricsSnapshot after = router().metrics();

    EXPECT_EQ(received(after, MessageType::call) - received(before, MessageType::call), 10u);
    EXPECT_EQ(received(after, MessageType::yield) - received(before, MessageType::yield), 5u);
    EXPECT_EQ(received(after, MessageType::error) - received(before, MessageType::error), 2u);
    EXPECT_EQ(received(after, MessageType::cancel) - received(before, MessageType::cancel), 1u);
    EXPECT_EQ(sent(after, MessageType::invocation) - sent(before, MessageType::invocation), 9u);
    EXPECT_EQ(sent(after, MessageType::result) - sent(before, MessageType::result), 5u);
    EXPECT_EQ(sent(after, MessageType::error) - sent(before, MessageType::error), 5u);
    EXPECT_EQ(sent(after, MessageType::interrupt) - sent(before, MessageType::interrupt), 2u);
    EXPECT_EQ(after.calls_started - before.calls_started, 9u);
    EXPECT_EQ(after.calls_refused - before.calls_refused, 1u);
    EXPECT_EQ(finished(after, CallOutcome::completed) - finished(before, CallOutcome::completed),
              5u);
    EXPECT_EQ(finished(after, CallOutcome::error) - finished(before, CallOutcome::error), 2u);
    EXPECT_EQ(finished(after, CallOutcome::timed_out) - finished(before, CallOutcome::timed_out),
              1u);
    EXPECT_EQ(finished(after, CallOutcome::canceled) - finished(before, CallOutcome::canceled), 1u);
    EXPECT_EQ(after.call_duration_count - before.call_duration_count, 9u);
    std::uint64_t in_buckets = 0;
    for (std::size_t i = 0; i < after.call_duration_buckets.size(); ++i)
        in_buckets += after.call_duration_buckets[i] - before.call_duration_buckets[i];
    EXPECT_EQ(in_buckets, 9u);
    // The timed-out call alone lasted 50 ms.
    EXPECT_GE(after.call_duration_sum_seconds - before.call_duration_sum_seconds, 0.05);

    const auto* realm = realm_of(after, "realm1");
    ASSERT_NE(realm, nullptr);
    EXPECT_EQ(realm->registrations, 1u);
}

TEST_F(RouterMetricsTest, EventsPublishedAndDelivered) {
    TestClient& publisher = joined();
    TestClient& a = joined();
    TestClient& b = joined();
    for (TestClient* s : {&a, &b}) {
        s->send(wamp::Subscribe{s->next_request(), {}, "com.news"});
        s->expect<wamp::Subscribed>();
    }
    const MetricsSnapshot before = router().metrics();
    for (int i = 0; i < 3; ++i)
        publisher.send(wamp::Publish{publisher.next_request(), {}, "com.news", {}});
    publisher.send(wamp::Publish{publisher.next_request(), {}, "com.nobody", {}});
    for (int i = 0; i < 3; ++i) {
        a.expect<wamp::Event>();
        b.expect<wamp::Event>();
    }
    const MetricsSnapshot after = router().metrics();
    EXPECT_EQ(after.events_published - before.events_published, 4u);
    EXPECT_EQ(after.events_delivered - before.events_delivered, 6u);
    EXPECT_EQ(sent(after, MessageType::event) - sent(before, MessageType::event), 6u);
    EXPECT_EQ(received(after, MessageType::publish) - received(before, MessageType::publish), 4u);
    EXPECT_EQ(realm_of(after, "realm1")->subscriptions, 1u);
}

TEST_F(RouterMetricsTest, SessionsOpenOpenedAndClosedByEnding) {
    const MetricsSnapshot start = router().metrics();
    const auto* r0 = realm_of(start, "realm1");
    ASSERT_NE(r0, nullptr);
    EXPECT_EQ(r0->sessions_opened, 0u);

    TestClient& polite = joined();
    TestClient& rude = joined();
    TestClient& victim = joined();
    TestClient& stays = joined();
    auto m = router().metrics();
    EXPECT_EQ(realm_of(m, "realm1")->sessions_opened, 4u);
    EXPECT_EQ(realm_of(m, "realm1")->sessions_open.at({"local", "local"}), 4u);

    polite.send(wamp::Goodbye{{}, std::string(wamp::close::close_realm)});
    polite.expect<wamp::Goodbye>();
    rude.drop();
    EXPECT_EQ(router().kill_session("realm1", victim.session(), wamp::close::killed, "test"),
              router::Router::KillResult::killed);
    victim.expect<wamp::Goodbye>();
    ASSERT_TRUE(wait_until([&] { return router().session_count() == 1; }));
    m = router().metrics();
    const auto* r = realm_of(m, "realm1");
    EXPECT_EQ(r->sessions_open.at({"local", "local"}), 1u);
    EXPECT_EQ(r->sessions_closed[static_cast<std::size_t>(router::SessionEnding::goodbye)], 1u);
    EXPECT_EQ(r->sessions_closed[static_cast<std::size_t>(router::SessionEnding::lost)], 1u);
    EXPECT_EQ(r->sessions_closed[static_cast<std::size_t>(router::SessionEnding::killed)], 1u);
    (void)stays;
}

TEST_F(RouterMetricsTest, AbortsAreCountedByReason) {
    const MetricsSnapshot before = router().metrics();
    TestClient& c = client();
    c.send(TestClient::hello("no.such.realm"));
    EXPECT_EQ(c.expect<wamp::Abort>().reason, wamp::errors::no_such_realm);
    TestClient& early = client();
    early.send(wamp::Publish{1, {}, "com.x", {}});
    EXPECT_EQ(early.expect<wamp::Abort>().reason, wamp::errors::protocol_violation);
    const MetricsSnapshot after = router().metrics();
    const auto count = [](const MetricsSnapshot& m, std::string_view reason) -> std::uint64_t {
        auto it = m.aborts.find(std::string(reason));
        return it == m.aborts.end() ? 0 : it->second;
    };
    EXPECT_EQ(
        count(after, wamp::errors::no_such_realm) - count(before, wamp::errors::no_such_realm), 1u);
    EXPECT_EQ(count(after, wamp::errors::protocol_violation) -
                  count(before, wamp::errors::protocol_violation),
              1u);
}

// A peer that never drains its queue.
struct DeafPeer final : router::Peer {
    void wake() override {}
    void close() override { closed = true; }
    std::atomic<bool> closed{false};
};

TEST_F(RouterMetricsTest, DroppedEventsAndQueueHighWater) {
    auto peer = std::make_shared<DeafPeer>();
    auto conn = router().attach(peer, {"test", "wamp.2.json", "test:1", {}, {}}, 4);
    conn->receive(TestClient::hello("realm1"));
    conn->receive(wamp::Subscribe{1, {}, "com.flood"});
    // WELCOME and SUBSCRIBED wait in the queue: room for two EVENTs.
    TestClient& publisher = joined();
    for (int i = 0; i < 10; ++i)
        publisher.send(
            wamp::Publish{publisher.next_request(), {{"acknowledge", true}}, "com.flood", {}});
    for (int i = 0; i < 10; ++i)
        publisher.expect<wamp::Published>();
    const MetricsSnapshot m = router().metrics();
    EXPECT_EQ(m.events_dropped, 8u);
    EXPECT_EQ(m.events_delivered, 2u);
    EXPECT_EQ(conn->dropped_events(), 8u);
    EXPECT_GE(m.queue_high_water, 4u);
    EXPECT_EQ(m.overflow_disconnects, 0u);
    const auto page = router().sessions("realm1");
    ASSERT_TRUE(page);
    bool found = false;
    for (const auto& s : page->sessions)
        if (s.transport == "test") {
            found = true;
            EXPECT_EQ(s.queue_depth, 4u);
            EXPECT_EQ(s.events_dropped, 8u);
            EXPECT_EQ(s.messages_received, 2u); // HELLO, SUBSCRIBE
            EXPECT_EQ(s.messages_sent, 0u);
            EXPECT_EQ(s.serializer, "json");
            EXPECT_EQ(s.peer, "test:1");
        }
    EXPECT_TRUE(found);
}

TEST(RouterMetricsOverflow, DisconnectPolicyCountsDisconnects) {
    boost::asio::io_context io;
    router::RouterConfig config = RouterFixture::default_config();
    config.overflow = router::OverflowPolicy::disconnect;
    router::Router r(io.get_executor(), config);
    auto peer = std::make_shared<DeafPeer>();
    auto conn = r.attach(peer, {"test", "wamp.2.json", "test:1", {}, {}}, 2);
    conn->receive(TestClient::hello("realm1"));               // WELCOME: 1 queued
    conn->receive(wamp::Subscribe{1, {}, "com.flood"});       // SUBSCRIBED: 2
    conn->receive(wamp::Subscribe{2, {}, "com.flood.other"}); // over: disconnected
    EXPECT_EQ(r.metrics().overflow_disconnects, 1u);
}

TEST_F(RouterMetricsTest, AuthFailuresByMethod) {
    router::RealmConfig realm;
    realm.uri = "secure";
    realm.anonymous_auth = false;
    router::Principal p;
    p.authid = "alice";
    p.authrole = "user";
    p.ticket = "right";
    realm.principals.push_back(p);
    ASSERT_TRUE(router().add_realm(realm));
    TestClient& c = client();
    c.send(
        TestClient::hello("secure", {{"authmethods", wamp::Array{"ticket"}}, {"authid", "alice"}}));
    c.expect<wamp::Challenge>();
    c.send(wamp::Authenticate{"wrong", {}});
    EXPECT_EQ(c.expect<wamp::Abort>().reason, wamp::errors::authentication_failed);
    const MetricsSnapshot m = router().metrics();
    EXPECT_EQ(m.auth_failures.at("ticket"), 1u);
    EXPECT_EQ(m.aborts.at(std::string(wamp::errors::authentication_failed)), 1u);
}

TEST_F(RouterMetricsTest, IntrospectionListsSessionsRegistrationsSubscriptions) {
    TestClient& a = joined();
    TestClient& b = joined();
    a.send(wamp::Register{a.next_request(), {}, "com.proc"});
    a.expect<wamp::Registered>();
    b.send(wamp::Subscribe{b.next_request(), {{"match", "prefix"}}, "com.topic"});
    b.expect<wamp::Subscribed>();

    auto realms = router().realm_summaries();
    ASSERT_EQ(realms.size(), 1u);
    EXPECT_EQ(realms[0].uri, "realm1");
    EXPECT_EQ(realms[0].sessions, 2u);
    EXPECT_EQ(realms[0].registrations, 1u);
    EXPECT_EQ(realms[0].subscriptions, 1u);

    auto page = router().sessions("realm1");
    ASSERT_TRUE(page);
    EXPECT_EQ(page->total, 2u);
    const auto* sessions = &page->sessions;
    ASSERT_EQ(sessions->size(), 2u);
    EXPECT_EQ((*sessions)[0].id, a.session()); // oldest first
    EXPECT_EQ((*sessions)[1].id, b.session());
    EXPECT_EQ((*sessions)[0].authmethod, "anonymous");
    EXPECT_EQ((*sessions)[0].transport, "local");
    EXPECT_EQ((*sessions)[0].messages_received, 2u); // HELLO, REGISTER
    EXPECT_EQ((*sessions)[0].messages_sent, 2u);     // WELCOME, REGISTERED
    EXPECT_LE((*sessions)[0].joined_at, std::chrono::system_clock::now());
    auto second = router().sessions("realm1", 1, 5);
    ASSERT_TRUE(second);
    EXPECT_EQ(second->total, 2u);
    ASSERT_EQ(second->sessions.size(), 1u);
    EXPECT_EQ(second->sessions[0].id, b.session());
    EXPECT_TRUE(router().sessions("realm1", 7, 5)->sessions.empty());

    auto regs = router().registrations("realm1");
    ASSERT_TRUE(regs);
    ASSERT_EQ(regs->size(), 1u);
    EXPECT_EQ((*regs)[0].uri, "com.proc");
    EXPECT_EQ((*regs)[0].invoke, "single");
    EXPECT_EQ((*regs)[0].callees, std::vector<wamp::Id>{a.session()});
    auto subs = router().subscriptions("realm1");
    ASSERT_TRUE(subs);
    ASSERT_EQ(subs->size(), 1u);
    EXPECT_EQ((*subs)[0].uri, "com.topic");
    EXPECT_EQ((*subs)[0].match, wamp::MatchPolicy::prefix);
    EXPECT_EQ((*subs)[0].subscribers, std::vector<wamp::Id>{b.session()});

    EXPECT_FALSE(router().sessions("nope"));
    EXPECT_FALSE(router().registrations("nope"));
    EXPECT_FALSE(router().subscriptions("nope"));
    EXPECT_EQ(router().kill_session("nope", a.session(), wamp::close::killed, ""),
              router::Router::KillResult::no_such_realm);
    EXPECT_EQ(router().kill_session("realm1", 12345, wamp::close::killed, ""),
              router::Router::KillResult::no_such_session);
    EXPECT_EQ(router().kill_session("realm1", a.session(), "com.maintenance", "bye"),
              router::Router::KillResult::killed);
    auto goodbye = a.expect<wamp::Goodbye>();
    EXPECT_EQ(goodbye.reason, "com.maintenance");
    EXPECT_EQ(goodbye.details.at("message"), wamp::Value("bye"));
}

TEST_F(RouterMetricsTest, PublishAsTheRouter) {
    TestClient& sub = joined();
    sub.send(wamp::Subscribe{sub.next_request(), {}, "com.alerts"});
    sub.expect<wamp::Subscribed>();
    wamp::Publish p;
    p.topic = "com.alerts";
    p.payload = wamp::Payload(wamp::Array{1, "two"}, wamp::Object{{"three", 3}});
    auto published = router().publish("realm1", p);
    ASSERT_TRUE(published) << published.error().message;
    auto event = sub.expect<wamp::Event>();
    EXPECT_EQ(event.publication, *published);
    EXPECT_EQ(event.payload.args(), (wamp::Array{1, "two"}));
    EXPECT_EQ(event.payload.kwargs(), (wamp::Object{{"three", 3}}));

    p.topic = "not a uri!";
    auto bad = router().publish("realm1", p);
    ASSERT_FALSE(bad);
    EXPECT_TRUE(bad.error().message.starts_with(wamp::errors::invalid_uri)) << bad.error().message;
    p.topic = "wamp.session.on_join";
    EXPECT_FALSE(router().publish("realm1", p));
    p.topic = "com.alerts";
    auto no_realm = router().publish("nope", p);
    ASSERT_FALSE(no_realm);
    EXPECT_EQ(no_realm.error().message, wamp::errors::no_such_realm);
    EXPECT_EQ(router().metrics().events_published, 1u);
}

TEST(RouterMetricsShards, ThreadsAddUpBeyondTheSlots) {
    // More threads at once than there are exclusive slots: the rest share one.
    router::RouterMetrics metrics;
    constexpr int threads = static_cast<int>(router::max_thread_slots) + 16;
    constexpr int per_thread = 2000;
    std::atomic<int> ready{0};
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
        pool.emplace_back([&] {
            ++ready;
            while (ready.load() < threads)
                std::this_thread::yield();
            for (int i = 0; i < per_thread; ++i) {
                metrics.received(MessageType::call);
                metrics.event_dropped();
            }
        });
    for (auto& t : pool)
        t.join();
    const auto m = metrics.snapshot();
    EXPECT_EQ(received(m, MessageType::call), std::uint64_t{threads} * per_thread);
    EXPECT_EQ(m.events_dropped, std::uint64_t{threads} * per_thread);
}

TEST(RouterMetricsShards, LiveThreadsHoldDistinctSlotsAndFreeThemOnExit) {
    constexpr int threads = 8;
    std::mutex mutex;
    std::set<std::size_t> slots;
    std::atomic<int> arrived{0};
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
        pool.emplace_back([&] {
            const std::size_t slot = router::thread_slot();
            {
                std::lock_guard lock(mutex);
                slots.insert(slot);
            }
            ++arrived;
            while (arrived.load() < threads) // all alive at once
                std::this_thread::yield();
        });
    for (auto& t : pool)
        t.join();
    EXPECT_EQ(slots.size(), std::size_t{threads});
    // Their slots are free again: a new thread gets one of the lowest.
    std::size_t next = 0;
    std::thread([&] { next = router::thread_slot(); }).join();
    EXPECT_LT(next, router::shared_thread_slot);
    EXPECT_LE(next, *slots.rbegin());
}

TEST(RouterMetricsNames, SerializerOfProtocol) {
    EXPECT_EQ(router::serializer_of("wamp.2.json"), "json");
    EXPECT_EQ(router::serializer_of("wamp.2.msgpack.batched"), "msgpack");
    EXPECT_EQ(router::serializer_of("wamp.2.cbor"), "cbor");
    EXPECT_EQ(router::serializer_of("other"), "other");
}

} // namespace
} // namespace nexus::test
