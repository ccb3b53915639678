// The in-memory bus: the Bus contract (tests/support/bus_contract.hpp) and
// what only it does: subject matching of its own, and injected faults.
#include <nexus/cluster/memory_bus.hpp>

#include "cluster/subject.hpp"
#include "support/bus_contract.hpp"
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

struct MemoryHarness {
    std::shared_ptr<MemoryFabric> fabric = MemoryFabric::create();
    std::shared_ptr<Bus> connect(std::string name) { return fabric->connect(std::move(name)); }
};

struct TwoEndpoints : ::testing::Test {
    std::shared_ptr<MemoryFabric> fabric = MemoryFabric::create();
    std::shared_ptr<MemoryBus> a = fabric->connect("a");
    std::shared_ptr<MemoryBus> b = fabric->connect("b");
};

} // namespace

namespace nexus::test {
INSTANTIATE_TYPED_TEST_SUITE_P(Memory, BusContract, MemoryHarness);
}

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

// --- request/reply ----------------------------------------------------------------------------

// --- key-value --------------------------------------------------------------------------------

// --- the link ---------------------------------------------------------------------------------

TEST_F(TwoEndpoints, OnStateReportsTheCurrentStateFirst) {
    a->disconnect();
    auto states = watch_state(*a);
    ASSERT_TRUE(states->wait_for(1));
    EXPECT_EQ(states->values()[0], BusState::disconnected);
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
    drain(*b);
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
    drain(*a);
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
