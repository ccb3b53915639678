// The Bus contract (nexus/cluster/bus.hpp) as a typed test suite, for every
// implementation: a test file instantiates it with a harness, a class that
// sets up what the buses need (a fabric, a NATS server) and whose
// connect(name) returns a new connected bus:
//
//     INSTANTIATE_TYPED_TEST_SUITE_P(Memory, BusContract, MemoryHarness);
//
// What only one implementation can do (MemoryBus's injected faults, a NATS
// server restarted) stays in that implementation's test file.
#pragma once

#include <nexus/cluster/bus.hpp>

#include "support/bus_probe.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <latch>
#include <string>
#include <thread>

namespace nexus::test {

/// Waits until every callback already queued on `bus`'s thread has run.
inline void drain(cluster::Bus& bus) {
    std::promise<void> done;
    bus.kv_list("settle", [&](cluster::KvResult::Status, KvEntries) { done.set_value(); });
    done.get_future().wait();
}

/// Waits until `to` has handled every message `from` published so far (a
/// marker `from` publishes after them reaches `to` after them: one
/// publisher's messages keep their order).
inline void settle(cluster::Bus& from, cluster::Bus& to) {
    static std::atomic<int> next{0};
    const std::string subject = "settle.marker." + std::to_string(++next);
    Received<BusMessage> marker;
    auto sub = to.subscribe(subject, record_into(marker));
    from.publish(subject, "");
    ASSERT_TRUE(marker.wait_for(1)) << "the marker never came";
}

/// Registers a state handler and returns what it records.
inline std::shared_ptr<Received<cluster::BusState>> watch_state(cluster::Bus& bus) {
    auto states = std::make_shared<Received<cluster::BusState>>();
    bus.on_state([states](cluster::BusState s) { states->add(s); });
    return states;
}

template <class Harness> struct BusContract : ::testing::Test {
    Harness harness;
    std::shared_ptr<cluster::Bus> a = harness.connect("a");
    std::shared_ptr<cluster::Bus> b = harness.connect("b");
};

TYPED_TEST_SUITE_P(BusContract);

using namespace cluster;
using Status = KvResult::Status;

TYPED_TEST_P(BusContract, OnStateReportsConnectedFirst) {
    auto states = watch_state(*this->a);
    ASSERT_TRUE(states->wait_for(1));
    EXPECT_EQ(states->values()[0], BusState::connected);
}

TYPED_TEST_P(BusContract, PublishReachesEveryMatchingSubscription) {
    auto& a = this->a;
    auto& b = this->b;
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
    settle(*a, *b);
    EXPECT_EQ(exact.values(), (std::vector<BusMessage>{{"orders.eu.new", "1", ""}}));
    EXPECT_EQ(star.values(), (std::vector<BusMessage>{{"orders.eu.new", "1", ""}}));
    EXPECT_EQ(tail.values(), (std::vector<BusMessage>{{"orders.eu.new", "1", ""},
                                                      {"orders.eu.new.late", "2", ""}}));
    EXPECT_EQ(other.size(), 0u);
}

TYPED_TEST_P(BusContract, AnEndpointHearsItsOwnMessages) {
    auto& a = this->a;
    Received<BusMessage> got;
    auto sub = a->subscribe("x", record_into(got));
    a->publish("x", "mine");
    ASSERT_TRUE(got.wait_for(1));
    EXPECT_EQ(got.values()[0].payload, "mine");
}

TYPED_TEST_P(BusContract, MessagesFromOnePublisherArriveInOrder) {
    auto& a = this->a;
    auto& b = this->b;
    Received<BusMessage> first, second;
    auto s1 = b->subscribe("seq.>", record_into(first));
    auto s2 = a->subscribe("seq.*", record_into(second));
    constexpr int count = 2000;
    // Two publishers at once; each one's messages must stay in its order.
    auto c = this->harness.connect("c");
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

TYPED_TEST_P(BusContract, CallbacksRunOnTheEndpointsThreadNeverInTheCall) {
    auto& a = this->a;
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

TYPED_TEST_P(BusContract, MalformedSubjectsAndOversizedPayloadsAreRefused) {
    auto& a = this->a;
    EXPECT_THROW(a->subscribe("a..b", [](auto, auto, auto) {}), std::invalid_argument);
    EXPECT_THROW(a->subscribe("a.>.b", [](auto, auto, auto) {}), std::invalid_argument);
    EXPECT_THROW(a->subscribe("", [](auto, auto, auto) {}), std::invalid_argument);
    EXPECT_FALSE(a->publish("a.*", "x"));
    EXPECT_FALSE(a->publish("", "x"));
    EXPECT_FALSE(a->publish("has space", "x"));
    // The limit max_payload() tells (a cluster node sizes its batches by it)
    // is the one publish() enforces: NATS's default here.
    ASSERT_EQ(a->max_payload(), std::size_t{1024 * 1024});
    EXPECT_FALSE(a->publish("big", std::string(1024 * 1024 + 1, 'x')));
    EXPECT_TRUE(a->publish("big", std::string(1024 * 1024, 'x')));
    auto r = request_wait(*a, "a.>", "x", 10s);
    ASSERT_TRUE(r.has_value());
    EXPECT_FALSE(r->has_value());
}

TYPED_TEST_P(BusContract, CancelStopsTheHandlerForGood) {
    auto& a = this->a;
    auto& b = this->b;
    Received<BusMessage> got;
    auto sub = b->subscribe("c", record_into(got));
    a->publish("c", "1");
    ASSERT_TRUE(got.wait_for(1));
    sub->cancel();
    a->publish("c", "2");
    settle(*a, *b);
    EXPECT_EQ(got.size(), 1u);
    sub.reset(); // destroying a cancelled subscription is fine

    // Destroying a subscription cancels it too.
    Received<BusMessage> more;
    auto sub2 = b->subscribe("d", record_into(more));
    sub2.reset();
    a->publish("d", "x");
    settle(*a, *b);
    EXPECT_EQ(more.size(), 0u);
}

TYPED_TEST_P(BusContract, CancelWaitsForAHandlerRunningOnAnotherThread) {
    auto& a = this->a;
    auto& b = this->b;
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

TYPED_TEST_P(BusContract, AHandlerCanCancelOrDestroyItsOwnSubscription) {
    auto& a = this->a;
    auto& b = this->b;
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
    settle(*a, *b);
    EXPECT_EQ(calls.load(), 1);
}

TYPED_TEST_P(BusContract, RequestGetsTheFirstReply) {
    auto& a = this->a;
    auto& b = this->b;
    auto responder = b->subscribe("svc.echo", [b](auto, std::string_view p, std::string_view r) {
        EXPECT_FALSE(r.empty());
        b->publish(r, "echo:" + std::string(p));
    });
    auto c = this->harness.connect("c");
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
    // Both responders answered, and both answers reached a.
    settle(*a, *b);
    settle(*a, *c);
    settle(*b, *a);
    settle(*c, *a);
    EXPECT_EQ(outcomes->size(), 1u);
}

TYPED_TEST_P(BusContract, NoRespondersEndsTheRequestAtOnce) {
    auto& a = this->a;
    const auto start = std::chrono::steady_clock::now();
    auto reply = request_wait(*a, "nobody.home", "x", std::chrono::hours(1), 10s);
    ASSERT_TRUE(reply.has_value());
    EXPECT_FALSE(reply->has_value());
    EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
}

TYPED_TEST_P(BusContract, UnansweredRequestTimesOut) {
    auto& a = this->a;
    auto& b = this->b;
    Received<BusMessage> heard;
    auto silent = b->subscribe("svc.silent", record_into(heard));
    auto done = std::make_shared<Received<std::optional<std::string>>>();
    a->request("svc.silent", "x", 50ms,
               [done](std::optional<std::string> reply) { done->add(std::move(reply)); });
    ASSERT_TRUE(done->wait_for(1));
    EXPECT_FALSE(done->values()[0].has_value());
    ASSERT_TRUE(heard.wait_for(1));
    // A late answer changes nothing: `done` is not called again. The marker
    // settle() sends after it reaches a's callbacks after the answer would.
    b->publish(heard.values()[0].reply_to, "late");
    settle(*b, *a);
    EXPECT_EQ(done->size(), 1u);
    EXPECT_FALSE(done->values()[0].has_value());
}

TYPED_TEST_P(BusContract, KeyValueCreateUpdateEraseWithRevisions) {
    auto& a = this->a;
    auto& b = this->b;
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

TYPED_TEST_P(BusContract, KeyValueBucketsListAndStaySeparate) {
    auto& a = this->a;
    auto& b = this->b;
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

TYPED_TEST_P(BusContract, ExactlyOneOfManyConcurrentCreatesWins) {
    std::vector<std::shared_ptr<Bus>> nodes{this->a, this->b};
    for (int i = 2; i < 4; ++i)
        nodes.push_back(this->harness.connect("n" + std::to_string(i)));
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
                EXPECT_EQ(r.status, Status::exists) << r.error;
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

TYPED_TEST_P(BusContract, CloseEndsPendingWorkThenReportsClosedLast) {
    auto& a = this->a;
    auto& b = this->b;
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
    settle(*b, *b);
    auto kv = kv_wait([&](auto done) { a->kv_get("b", "k", done); });
    EXPECT_EQ(kv.status, Status::error);
    auto r = request_wait(*a, "svc", "x", 10s);
    ASSERT_TRUE(r.has_value());
    EXPECT_FALSE(r->has_value());
    drain(*a);
    EXPECT_EQ(own.size(), 0u);
    a->close(); // twice is fine
    drain(*a);
    EXPECT_EQ(order->size(), 3u);
}

TYPED_TEST_P(BusContract, AnEndpointCanBeDroppedFromItsOwnCallback) {
    auto& a = this->a;
    auto& b = this->b;
    std::promise<void> done;
    a->kv_get("bucket", "k", [&a, &done](KvResult) {
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

REGISTER_TYPED_TEST_SUITE_P(
    BusContract, OnStateReportsConnectedFirst, PublishReachesEveryMatchingSubscription,
    AnEndpointHearsItsOwnMessages, MessagesFromOnePublisherArriveInOrder,
    CallbacksRunOnTheEndpointsThreadNeverInTheCall, MalformedSubjectsAndOversizedPayloadsAreRefused,
    CancelStopsTheHandlerForGood, CancelWaitsForAHandlerRunningOnAnotherThread,
    AHandlerCanCancelOrDestroyItsOwnSubscription, RequestGetsTheFirstReply,
    NoRespondersEndsTheRequestAtOnce, UnansweredRequestTimesOut,
    KeyValueCreateUpdateEraseWithRevisions, KeyValueBucketsListAndStaySeparate,
    ExactlyOneOfManyConcurrentCreatesWins, CloseEndsPendingWorkThenReportsClosedLast,
    AnEndpointCanBeDroppedFromItsOwnCallback);

} // namespace nexus::test
