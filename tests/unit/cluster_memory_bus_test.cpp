// The in-memory bus: the Bus contract (subjects, order, request/reply,
// key-value compare-and-set, callback threads) and its injected faults.
#include <nexus/cluster/memory_bus.hpp>

#include "cluster/subject.hpp"
#include "support/bus_probe.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <latch>
#include <set>

using namespace nexus::cluster;
using namespace nexus::test;
using Status = KvResult::Status;

namespace {

struct TwoEndpoints : ::testing::Test {
    std::shared_ptr<MemoryFabric> fabric = MemoryFabric::create();
    std::shared_ptr<MemoryBus> a = fabric->connect("a");
    std::shared_ptr<MemoryBus> b = fabric->connect("b");
};

// Registers a state handler and returns what it records.
std::shared_ptr<Received<BusState>> watch_state(Bus& bus) {
    auto states = std::make_shared<Received<BusState>>();
    bus.on_state([states](BusState s) { states->add(s); });
    return states;
}

// Waits until every callback already queued on `bus`'s thread has run.
void settle(Bus& bus) {
    std::promise<void> done;
    bus.kv_list("settle", [&](Status, KvEntries) { done.set_value(); });
    done.get_future().wait();
}

} // namespace

// --- subjects ---------------------------------------------------------------------------------

TEST(BusSubject, LiteralsAndPatterns) {
    using namespace nexus::cluster::subject;
    EXPECT_TRUE(valid_literal("a"));
    EXPECT_TRUE(valid_literal("a.b.c"));
    EXPECT_TRUE(valid_literal("a*b.c>")); // wildcards only as whole tokens
    EXPECT_FALSE(valid_literal(""));
    EXPECT_FALSE(valid_literal("a..b"));
    EXPECT_FALSE(valid_literal(".a"));
    EXPECT_FALSE(valid_literal("a."));
    EXPECT_FALSE(valid_literal("a b"));
    EXPECT_FALSE(valid_literal("a.*"));
    EXPECT_FALSE(valid_literal("a.>"));

    EXPECT_TRUE(valid_pattern("a.*.c"));
    EXPECT_TRUE(valid_pattern(">"));
    EXPECT_TRUE(valid_pattern("a.>"));
    EXPECT_TRUE(valid_pattern("*"));
    EXPECT_FALSE(valid_pattern("a.>.c"));
    EXPECT_FALSE(valid_pattern("a..c"));
    EXPECT_FALSE(valid_pattern(""));
    EXPECT_FALSE(valid_pattern("a.\tb"));
}

TEST(BusSubject, Matching) {
    using subject::Pattern;
    EXPECT_TRUE(Pattern("a.b").matches("a.b"));
    EXPECT_FALSE(Pattern("a.b").matches("a.b.c"));
    EXPECT_FALSE(Pattern("a.b").matches("a"));
    EXPECT_TRUE(Pattern("a.*").matches("a.b"));
    EXPECT_FALSE(Pattern("a.*").matches("a.b.c"));
    EXPECT_FALSE(Pattern("a.*").matches("a"));
    EXPECT_TRUE(Pattern("*.b.*").matches("x.b.y"));
    EXPECT_TRUE(Pattern("a.>").matches("a.b"));
    EXPECT_TRUE(Pattern("a.>").matches("a.b.c.d"));
    EXPECT_FALSE(Pattern("a.>").matches("a"));
    EXPECT_TRUE(Pattern(">").matches("x"));
    EXPECT_TRUE(Pattern("a.*.>").matches("a.b.c"));
    EXPECT_FALSE(Pattern("a.*.>").matches("a.b"));
    EXPECT_FALSE(Pattern("ab").matches("a"));
}

// --- messages ---------------------------------------------------------------------------------

TEST_F(TwoEndpoints, PublishReachesEveryMatchingSubscription) {
    Received<BusMessage> exact, star, tail, other;
    auto s1 = b->subscribe("orders.eu.new", record_into(exact));
    auto s2 = b->subscribe("orders.*.new", record_into(star));
    auto s3 = b->subscribe("orders.>", record_into(tail));
    auto s4 = b->subscribe("orders.us.*", record_into(other));

    EXPECT_TRUE(a->publish("orders.eu.new", "1"));
    EXPECT_TRUE(a->publish("orders.eu.new.late", "2"));
    EXPECT_TRUE(a->publish("orders", "3"));

    ASSERT_TRUE(tail.wait_for(2));
    ASSERT_TRUE(exact.wait_for(1));
    ASSERT_TRUE(star.wait_for(1));
    settle(*b);
    EXPECT_EQ(exact.values(), (std::vector<BusMessage>{{"orders.eu.new", "1", ""}}));
    EXPECT_EQ(star.values(), (std::vector<BusMessage>{{"orders.eu.new", "1", ""}}));
    EXPECT_EQ(tail.values(), (std::vector<BusMessage>{{"orders.eu.new", "1", ""},
                                                      {"orders.eu.new.late", "2", ""}}));
    EXPECT_EQ(other.size(), 0u);
}

TEST_F(TwoEndpoints, AnEndpointHearsItsOwnMessages) {
    Received<BusMessage> got;
    auto sub = a->subscribe("x", record_into(got));
    a->publish("x", "mine");
    ASSERT_TRUE(got.wait_for(1));
    EXPECT_EQ(got.values()[0].payload, "mine");
}

TEST_F(TwoEndpoints, MessagesFromOnePublisherArriveInOrder) {
    Received<BusMessage> first, second;
    auto s1 = b->subscribe("seq.>", record_into(first));
    auto s2 = a->subscribe("seq.*", record_into(second));
    constexpr int count = 2000;
    // Two publishers at once; each one's messages must stay in its order.
    auto c = fabric->connect("c");
    std::thread other([&] {
        for (int i = 0; i < count; ++i)
            c->publish("seq.c", std::to_string(i));
    });
    for (int i = 0; i < count; ++i)
        a->publish("seq.a", std::to_string(i));
    other.join();
    ASSERT_TRUE(first.wait_for(2 * count));
    ASSERT_TRUE(second.wait_for(2 * count));
    for (auto* received : {&first, &second}) {
        int next_a = 0, next_c = 0;
        for (const BusMessage& m : received->values()) {
            int& next = m.subject == "seq.a" ? next_a : next_c;
            ASSERT_EQ(m.payload, std::to_string(next)) << m.subject;
            ++next;
        }
        EXPECT_EQ(next_a, count);
        EXPECT_EQ(next_c, count);
    }
}

TEST_F(TwoEndpoints, CallbacksRunOnTheEndpointsThreadNeverInTheCall) {
    const auto caller = std::this_thread::get_id();
    Received<BusMessage> got;
    auto sub = a->subscribe("t", record_into(got));
    a->publish("t", "x");
    ASSERT_TRUE(got.wait_for(1));
    EXPECT_NE(got.threads()[0], caller);

    // A handler that publishes to itself is not re-entered: the second message
    // waits for the first handler to return.
    std::atomic<int> depth{0}, max_depth{0};
    Received<BusMessage> chain;
    auto sub2 =
        a->subscribe("chain", [&](std::string_view s, std::string_view p, std::string_view) {
            const int d = ++depth;
            max_depth = std::max(max_depth.load(), d);
            chain.add({std::string(s), std::string(p), {}});
            if (p.size() < 5) a->publish("chain", std::string(p) + "x");
            --depth;
        });
    a->publish("chain", "x");
    ASSERT_TRUE(chain.wait_for(5));
    EXPECT_EQ(max_depth.load(), 1);

    auto r = kv_wait([&](auto done) { a->kv_get("bucket", "k", done); });
    EXPECT_EQ(r.status, Status::not_found);
    auto state = watch_state(*a);
    ASSERT_TRUE(state->wait_for(1));
    EXPECT_NE(state->threads()[0], caller);
}

TEST_F(TwoEndpoints, MalformedSubjectsAndOversizedPayloadsAreRefused) {
    EXPECT_THROW(a->subscribe("a..b", [](auto, auto, auto) {}), std::invalid_argument);
    EXPECT_THROW(a->subscribe("a.>.b", [](auto, auto, auto) {}), std::invalid_argument);
    EXPECT_THROW(a->subscribe("", [](auto, auto, auto) {}), std::invalid_argument);
    EXPECT_FALSE(a->publish("a.*", "x"));
    EXPECT_FALSE(a->publish("", "x"));
    EXPECT_FALSE(a->publish("has space", "x"));
    EXPECT_FALSE(a->publish("big", std::string(1024 * 1024 + 1, 'x')));
    EXPECT_TRUE(a->publish("big", std::string(1024 * 1024, 'x')));
    auto r = request_wait(*a, "a.>", "x", 10s);
    ASSERT_TRUE(r.has_value());
    EXPECT_FALSE(r->has_value());
}

TEST_F(TwoEndpoints, CancelStopsTheHandlerForGood) {
    Received<BusMessage> got;
    auto sub = b->subscribe("c", record_into(got));
    a->publish("c", "1");
    ASSERT_TRUE(got.wait_for(1));
    sub->cancel();
    a->publish("c", "2");
    settle(*a);
    settle(*b);
    EXPECT_EQ(got.size(), 1u);
    sub.reset(); // destroying a cancelled subscription is fine

    // Destroying a subscription cancels it too.
    Received<BusMessage> more;
    auto sub2 = b->subscribe("d", record_into(more));
    sub2.reset();
    a->publish("d", "x");
    settle(*b);
    EXPECT_EQ(more.size(), 0u);
}

TEST_F(TwoEndpoints, CancelWaitsForAHandlerRunningOnAnotherThread) {
    std::latch entered(1);
    std::promise<void> release;
    auto released = release.get_future().share();
    std::atomic<bool> finished{false};
    auto sub = b->subscribe("slow", [&](auto, auto, auto) {
        entered.count_down();
        released.wait();
        finished = true;
    });
    a->publish("slow", "x");
    entered.wait();
    auto cancelled = std::async(std::launch::async, [&] { sub->cancel(); });
    EXPECT_EQ(cancelled.wait_for(100ms), std::future_status::timeout);
    release.set_value();
    cancelled.get();
    EXPECT_TRUE(finished.load());
}

TEST_F(TwoEndpoints, AHandlerCanCancelOrDestroyItsOwnSubscription) {
    std::unique_ptr<BusSubscription> sub;
    std::atomic<int> calls{0};
    std::promise<void> first;
    sub = b->subscribe("self", [&](auto, auto, auto) {
        if (++calls == 1) {
            sub.reset();
            first.set_value();
        }
    });
    a->publish("self", "1");
    a->publish("self", "2");
    first.get_future().wait();
    settle(*b);
    EXPECT_EQ(calls.load(), 1);
}

// --- request/reply ----------------------------------------------------------------------------

TEST_F(TwoEndpoints, RequestGetsTheFirstReply) {
    auto responder = b->subscribe("svc.echo", [this](auto, std::string_view p, std::string_view r) {
        EXPECT_FALSE(r.empty());
        b->publish(r, "echo:" + std::string(p));
    });
    auto c = fabric->connect("c");
    auto second =
        c->subscribe("svc.*", [c](auto, auto, std::string_view r) { c->publish(r, "second"); });
    for (int i = 0; i < 20; ++i) {
        auto reply = request_wait(*a, "svc.echo", "hi", 5s);
        ASSERT_TRUE(reply.has_value());
        ASSERT_TRUE(reply->has_value());
        EXPECT_TRUE(**reply == "echo:hi" || **reply == "second") << **reply;
    }
    // Exactly one outcome per request, though two replies came.
    auto outcomes = std::make_shared<Received<std::optional<std::string>>>();
    a->request("svc.echo", "once", 5s, [outcomes](auto r) { outcomes->add(std::move(r)); });
    ASSERT_TRUE(outcomes->wait_for(1));
    settle(*b);
    settle(*c);
    settle(*a);
    EXPECT_EQ(outcomes->size(), 1u);
}

TEST_F(TwoEndpoints, NoRespondersEndsTheRequestAtOnce) {
    const auto start = std::chrono::steady_clock::now();
    auto reply = request_wait(*a, "nobody.home", "x", std::chrono::hours(1), 10s);
    ASSERT_TRUE(reply.has_value());
    EXPECT_FALSE(reply->has_value());
    EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
}

TEST_F(TwoEndpoints, UnansweredRequestTimesOut) {
    Received<BusMessage> heard;
    auto silent = b->subscribe("svc.silent", record_into(heard));
    auto reply = request_wait(*a, "svc.silent", "x", 50ms);
    ASSERT_TRUE(reply.has_value());
    EXPECT_FALSE(reply->has_value());
    ASSERT_TRUE(heard.wait_for(1));
    // A late answer changes nothing.
    b->publish(heard.values()[0].reply_to, "late");
    settle(*a);
}

// --- key-value --------------------------------------------------------------------------------

TEST_F(TwoEndpoints, KeyValueCreateUpdateEraseWithRevisions) {
    auto get = [&](Bus& bus, std::string key) {
        return kv_wait([&](auto done) { bus.kv_get("reg", key, done); });
    };
    EXPECT_EQ(get(*a, "p1").status, Status::not_found);

    auto created = kv_wait([&](auto done) { a->kv_create("reg", "p1", "node-a", done); });
    ASSERT_EQ(created.status, Status::ok);
    EXPECT_GT(created.revision, 0u);

    auto again = kv_wait([&](auto done) { b->kv_create("reg", "p1", "node-b", done); });
    EXPECT_EQ(again.status, Status::exists);
    EXPECT_EQ(again.value, "node-a");
    EXPECT_EQ(again.revision, created.revision);

    auto read = get(*b, "p1");
    ASSERT_EQ(read.status, Status::ok);
    EXPECT_EQ(read.value, "node-a");
    EXPECT_EQ(read.revision, created.revision);

    auto updated =
        kv_wait([&](auto done) { b->kv_update("reg", "p1", "node-b", created.revision, done); });
    ASSERT_EQ(updated.status, Status::ok);
    EXPECT_GT(updated.revision, created.revision);

    auto stale =
        kv_wait([&](auto done) { a->kv_update("reg", "p1", "node-a", created.revision, done); });
    EXPECT_EQ(stale.status, Status::conflict);
    EXPECT_EQ(stale.value, "node-b");
    EXPECT_EQ(stale.revision, updated.revision);
    EXPECT_EQ(kv_wait([&](auto done) { a->kv_update("reg", "p1", "x", 0, done); }).status,
              Status::conflict);

    EXPECT_EQ(kv_wait([&](auto done) { a->kv_update("reg", "nope", "x", 1, done); }).status,
              Status::not_found);
    EXPECT_EQ(kv_wait([&](auto done) { a->kv_erase("reg", "p1", created.revision, done); }).status,
              Status::conflict);
    auto erased = kv_wait([&](auto done) { a->kv_erase("reg", "p1", updated.revision, done); });
    ASSERT_EQ(erased.status, Status::ok);
    EXPECT_GT(erased.revision, updated.revision);
    EXPECT_EQ(get(*a, "p1").status, Status::not_found);
    EXPECT_EQ(kv_wait([&](auto done) { a->kv_erase("reg", "p1", 0, done); }).status,
              Status::not_found);
    EXPECT_EQ(kv_wait([&](auto done) { a->kv_erase("reg", "p1", erased.revision, done); }).status,
              Status::not_found);

    // Gone keys can be created again; unconditional erase.
    auto recreated = kv_wait([&](auto done) { b->kv_create("reg", "p1", "node-b", done); });
    ASSERT_EQ(recreated.status, Status::ok);
    EXPECT_GT(recreated.revision, erased.revision);
    EXPECT_EQ(kv_wait([&](auto done) { a->kv_erase("reg", "p1", 0, done); }).status, Status::ok);
}

TEST_F(TwoEndpoints, KeyValueBucketsListAndStaySeparate) {
    auto [status, none] = kv_list_wait(*a, "empty");
    EXPECT_EQ(status, Status::ok);
    EXPECT_TRUE(none.empty());

    for (auto key : {"k2", "k1", "k3"})
        ASSERT_EQ(kv_wait([&](auto done) {
                      a->kv_create("one", key, std::string("v") + key, done);
                  }).status,
                  Status::ok);
    ASSERT_EQ(kv_wait([&](auto done) { a->kv_create("two", "k1", "other", done); }).status,
              Status::ok);
    ASSERT_EQ(kv_wait([&](auto done) { a->kv_erase("one", "k3", 0, done); }).status, Status::ok);

    auto [s1, one] = kv_list_wait(*b, "one");
    EXPECT_EQ(s1, Status::ok);
    EXPECT_EQ(one, (KvEntries{{"k1", "vk1"}, {"k2", "vk2"}}));
    auto [s2, two] = kv_list_wait(*b, "two");
    EXPECT_EQ(two, (KvEntries{{"k1", "other"}}));

    // Keys are any non-empty string.
    ASSERT_EQ(
        kv_wait([&](auto done) { a->kv_create("one", "wamp.uri with space*>", "x", done); }).status,
        Status::ok);
    auto empty_key = kv_wait([&](auto done) { a->kv_create("one", "", "x", done); });
    EXPECT_EQ(empty_key.status, Status::error);
    EXPECT_FALSE(empty_key.error.empty());
}

TEST(MemoryBus, ExactlyOneOfManyConcurrentCreatesWins) {
    auto fabric = MemoryFabric::create();
    std::vector<std::shared_ptr<MemoryBus>> nodes;
    for (int i = 0; i < 4; ++i)
        nodes.push_back(fabric->connect());
    for (int round = 0; round < 20; ++round) {
        const std::string key = "proc." + std::to_string(round);
        Received<std::pair<int, KvResult>> results;
        std::vector<std::thread> threads;
        for (int i = 0; i < 4; ++i)
            threads.emplace_back([&, i] {
                nodes[i]->kv_create("registrations", key, std::to_string(i),
                                    [&results, i](KvResult r) {
                                        results.add({i, r});
                                    });
            });
        for (auto& t : threads)
            t.join();
        ASSERT_TRUE(results.wait_for(4));
        int winners = 0;
        std::string winner;
        for (const auto& [i, r] : results.values()) {
            if (r.status == Status::ok) {
                ++winners;
                winner = std::to_string(i);
            } else {
                EXPECT_EQ(r.status, Status::exists);
            }
        }
        EXPECT_EQ(winners, 1);
        for (const auto& [i, r] : results.values()) {
            if (r.status == Status::exists) {
                EXPECT_EQ(r.value, winner);
            }
        }
    }
}

// --- the link ---------------------------------------------------------------------------------

TEST_F(TwoEndpoints, OnStateReportsTheCurrentStateFirst) {
    auto states = watch_state(*a);
    ASSERT_TRUE(states->wait_for(1));
    EXPECT_EQ(states->values()[0], BusState::connected);
    a->disconnect();
    auto later = watch_state(*a);
    ASSERT_TRUE(later->wait_for(1));
    EXPECT_EQ(later->values()[0], BusState::disconnected);
}

TEST(MemoryBus, DisconnectedEndpointKeepsItsPublishesAndHearsNothing) {
    MemoryFabricOptions options;
    options.reconnect_buffer = 3;
    auto fabric = MemoryFabric::create(options);
    auto a = fabric->connect("a");
    auto b = fabric->connect("b");
    auto states = watch_state(*a);
    ASSERT_TRUE(states->wait_for(1));

    Received<BusMessage> at_a, at_b;
    auto sa = a->subscribe("news.>", record_into(at_a));
    auto sb = b->subscribe("news.>", record_into(at_b));

    a->disconnect();
    ASSERT_TRUE(states->wait_for(2));
    EXPECT_EQ(states->values()[1], BusState::disconnected);

    EXPECT_TRUE(a->publish("news.a", "1"));
    EXPECT_TRUE(a->publish("news.a", "2"));
    EXPECT_TRUE(a->publish("news.a", "3"));
    EXPECT_FALSE(a->publish("news.a", "4")); // beyond the bound
    b->publish("news.b", "while away");      // lost for a
    auto kv = kv_wait([&](auto done) { a->kv_get("bucket", "k", done); });
    EXPECT_EQ(kv.status, Status::error);
    EXPECT_FALSE(kv.error.empty());
    // A subscription made while down takes effect on reconnect.
    Received<BusMessage> late;
    auto sl = a->subscribe("late", record_into(late));
    ASSERT_TRUE(at_b.wait_for(1));
    settle(*b);
    EXPECT_EQ(at_b.size(), 1u); // nothing of a's yet

    a->reconnect();
    ASSERT_TRUE(states->wait_for(3));
    EXPECT_EQ(states->values()[2], BusState::connected);
    ASSERT_TRUE(at_b.wait_for(4));
    EXPECT_EQ(at_b.values(), (std::vector<BusMessage>{{"news.b", "while away", ""},
                                                      {"news.a", "1", ""},
                                                      {"news.a", "2", ""},
                                                      {"news.a", "3", ""}}));
    ASSERT_TRUE(at_a.wait_for(3)); // its own, sent after it was back
    for (const auto& m : at_a.values())
        EXPECT_EQ(m.subject, "news.a");

    b->publish("late", "now");
    b->publish("news.b", "again");
    ASSERT_TRUE(late.wait_for(1));
    ASSERT_TRUE(at_a.wait_for(4));
    EXPECT_EQ(at_a.values().back().payload, "again");
    EXPECT_EQ(states->size(), 3u);
}

TEST_F(TwoEndpoints, RequestsAcrossALinkThatGoesDown) {
    auto responder = b->subscribe("svc", [this](auto, std::string_view p, std::string_view r) {
        b->publish(r, "re:" + std::string(p));
    });
    // Sent while down: goes out on reconnect and is answered if still in time.
    a->disconnect();
    auto outcome = std::make_shared<Received<std::optional<std::string>>>();
    a->request("svc", "queued", 10s, [outcome](auto r) { outcome->add(std::move(r)); });
    settle(*a);
    EXPECT_EQ(outcome->size(), 0u);
    a->reconnect();
    auto reply = outcome->first();
    ASSERT_TRUE(reply.has_value());
    EXPECT_EQ(*reply, "re:queued");

    // A responder whose link is down is nobody.
    b->disconnect();
    auto none = request_wait(*a, "svc", "x", std::chrono::hours(1));
    ASSERT_TRUE(none.has_value());
    EXPECT_FALSE(none->has_value());
    b->reconnect();
    auto back = request_wait(*a, "svc", "y", 10s);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, "re:y");
}

TEST_F(TwoEndpoints, ReplyToADisconnectedRequesterIsLost) {
    Received<BusMessage> heard;
    auto svc = b->subscribe("svc", record_into(heard));
    auto outcome = std::make_shared<Received<std::optional<std::string>>>();
    a->request("svc", "x", 200ms, [outcome](auto r) { outcome->add(std::move(r)); });
    ASSERT_TRUE(heard.wait_for(1));
    a->disconnect();
    b->publish(heard.values()[0].reply_to, "answer");
    a->reconnect();
    auto r = outcome->first();
    ASSERT_TRUE(r.has_value());
    EXPECT_FALSE(r->has_value());
}

TEST_F(TwoEndpoints, CloseEndsPendingWorkThenReportsClosedLast) {
    Received<BusMessage> heard;
    auto svc = b->subscribe("svc", record_into(heard));
    auto order = std::make_shared<Received<std::string>>();
    a->on_state([order](BusState s) { order->add(s == BusState::closed ? "closed" : "state"); });
    a->request("svc", "x", std::chrono::hours(1),
               [order](std::optional<std::string> r) { order->add(r ? "reply" : "no reply"); });
    ASSERT_TRUE(heard.wait_for(1));
    Received<BusMessage> own;
    auto sub = a->subscribe("own", record_into(own));
    a->close();
    ASSERT_TRUE(order->wait_for(3));
    EXPECT_EQ(order->values(), (std::vector<std::string>{"state", "no reply", "closed"}));

    EXPECT_FALSE(a->publish("own", "x"));
    b->publish("own", "x");
    auto kv = kv_wait([&](auto done) { a->kv_get("b", "k", done); });
    EXPECT_EQ(kv.status, Status::error);
    auto r = request_wait(*a, "svc", "x", 10s);
    ASSERT_TRUE(r.has_value());
    EXPECT_FALSE(r->has_value());
    settle(*b);
    EXPECT_EQ(own.size(), 0u);
    a->close(); // twice is fine
    settle(*a);
    EXPECT_EQ(order->size(), 3u);
}

TEST_F(TwoEndpoints, ALostEndpointFallsSilent) {
    Received<BusMessage> heard;
    auto svc = b->subscribe("svc", record_into(heard));
    auto states = watch_state(*b);
    ASSERT_TRUE(states->wait_for(1));
    std::atomic<int> callbacks{0};
    ASSERT_EQ(kv_wait([&](auto done) { b->kv_create("reg", "proc", "b", done); }).status,
              Status::ok);

    auto pending = std::make_shared<std::atomic<bool>>(false);
    auto c = fabric->connect("c");
    auto never = c->subscribe("never", [](auto, auto, auto) {});
    b->request("never", "x", 50ms, [pending](auto) { *pending = true; });
    b->lose();

    // Its subscriptions are gone: a request to them has no responders.
    auto none = request_wait(*a, "svc", "x", std::chrono::hours(1));
    ASSERT_TRUE(none.has_value());
    EXPECT_FALSE(none->has_value());
    EXPECT_FALSE(b->publish("anything", "x"));
    b->kv_get("reg", "proc", [&](KvResult) { ++callbacks; });
    b->on_state([&](BusState) { ++callbacks; });
    b->close();
    // lose() ended b's thread, so nothing of b's can run any more: no need to wait.
    EXPECT_EQ(callbacks.load(), 0);
    EXPECT_FALSE(pending->load());
    EXPECT_EQ(states->size(), 1u);

    // What it wrote stays.
    auto kept = kv_wait([&](auto done) { a->kv_get("reg", "proc", done); });
    EXPECT_EQ(kept.status, Status::ok);
    EXPECT_EQ(kept.value, "b");
}

TEST_F(TwoEndpoints, AnEndpointCanBeDroppedFromItsOwnCallback) {
    std::promise<void> done;
    a->kv_get("bucket", "k", [this, &done](KvResult) {
        a.reset(); // the last reference, released on a's own thread
        done.set_value();
    });
    done.get_future().wait();
    EXPECT_EQ(a, nullptr);
    // The fabric goes on for the others.
    Received<BusMessage> got;
    auto sub = b->subscribe("x", record_into(got));
    b->publish("x", "y");
    EXPECT_TRUE(got.wait_for(1));
}

TEST_F(TwoEndpoints, LoseFromItsOwnCallback) {
    std::promise<void> done;
    a->kv_get("bucket", "k", [this, &done](KvResult) {
        a->lose();
        done.set_value();
    });
    done.get_future().wait();
    EXPECT_FALSE(a->publish("x", "y"));
}

TEST_F(TwoEndpoints, StatsCountMessagesAndDeliveries) {
    Received<BusMessage> one, two;
    auto s1 = b->subscribe("s.*", record_into(one));
    auto s2 = a->subscribe("s.>", record_into(two));
    const auto before = fabric->stats();
    a->publish("s.x", "1");
    a->publish("nobody", "2");
    ASSERT_TRUE(one.wait_for(1));
    ASSERT_TRUE(two.wait_for(1));
    const auto after = fabric->stats();
    EXPECT_EQ(after.published - before.published, 2u);
    EXPECT_EQ(after.delivered - before.delivered, 2u);
}
