// NatsBus against real nats-servers (tests/support/nats_server.hpp): the Bus
// contract (tests/support/bus_contract.hpp), and what NATS adds: a server
// unreachable at start, restarted, or lost out of a cluster of three.
#include <nexus/cluster/nats.hpp>

#include "support/bus_contract.hpp"
#include "support/bus_probe.hpp"
#include "support/nats_server.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <mutex>

using namespace nexus::cluster;
using namespace nexus::test;
using Status = KvResult::Status;

namespace {

/// Log lines a bus wrote, to wait for and look at.
struct LogLines {
    Received<std::string> lines;
    NatsLogger logger() {
        return [this](NatsLogLevel, std::string_view line) { lines.add(std::string(line)); };
    }
    bool contains(std::string_view text) const {
        auto all = lines.values();
        return std::any_of(all.begin(), all.end(),
                           [&](const std::string& l) { return l.find(text) != std::string::npos; });
    }
};

NatsOptions options_for(std::vector<std::string> urls, std::string name) {
    NatsOptions o;
    o.urls = std::move(urls);
    o.name = std::move(name);
    // Tests restart servers: come back quickly.
    o.reconnect_wait = std::chrono::milliseconds(50);
    o.connect_timeout = std::chrono::milliseconds(500);
    return o;
}

struct NatsHarness {
    NatsServer server;
    std::shared_ptr<Bus> connect(std::string name) {
        return connect_nats(options_for({server.url()}, std::move(name)));
    }
};

/// Waits until `check` holds, trying again after each failed attempt (a NATS
/// cluster's routes and JetStream's leaders come up in their own time).
template <class Check>
bool eventually(Check check, std::chrono::seconds limit = std::chrono::seconds(30)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        if (check()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
}

/// A responder on `bus` for `subject` that answers "<name>:<payload>".
std::unique_ptr<BusSubscription> echo(const std::shared_ptr<Bus>& bus, std::string subject,
                                      std::string name) {
    std::weak_ptr<Bus> weak = bus;
    return bus->subscribe(subject, [weak, name](auto, std::string_view p, std::string_view reply) {
        if (auto b = weak.lock()) b->publish(reply, name + ":" + std::string(p));
    });
}

} // namespace

namespace nexus::test {
INSTANTIATE_TYPED_TEST_SUITE_P(Nats, BusContract, NatsHarness);
}

TEST(NatsBus, KeysAreAnyStringAndBucketNamesAreJetStreams) {
    NatsServer server;
    auto bus = connect_nats(options_for({server.url()}, "a"));
    const std::vector<std::string> keys{"a.b.c", "=3D", "*", ">", "x y", "ünïcödé", "a/b", "-_"};
    for (const auto& key : keys)
        ASSERT_EQ(kv_wait([&](auto done) { bus->kv_create("keys", key, "v" + key, done); }).status,
                  Status::ok)
            << key;
    auto [status, entries] = kv_list_wait(*bus, "keys");
    ASSERT_EQ(status, Status::ok);
    KvEntries expected;
    for (const auto& key : keys)
        expected.emplace_back(key, "v" + key);
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(entries, expected);
    for (const auto& key : keys)
        EXPECT_EQ(kv_wait([&](auto done) { bus->kv_get("keys", key, done); }).value, "v" + key);

    auto bad = kv_wait([&](auto done) { bus->kv_get("not.a.bucket", "k", done); });
    EXPECT_EQ(bad.status, Status::error);
    EXPECT_NE(bad.error.find("bucket"), std::string::npos) << bad.error;
}

TEST(NatsBus, AnUnreachableServerIsRetriedUntilItComes) {
    NatsServer server;
    server.stop();
    LogLines log;
    auto options = options_for({server.url()}, "late");
    options.logger = log.logger();
    auto bus = connect_nats(options); // does not throw
    auto states = watch_state(*bus);
    ASSERT_TRUE(states->wait_for(1));
    EXPECT_EQ(states->values()[0], BusState::disconnected);
    EXPECT_TRUE(log.contains("cannot reach"));
    // Meanwhile: key-value calls fail at once, subscriptions wait for the link.
    auto kv = kv_wait([&](auto done) { bus->kv_get("b", "k", done); });
    EXPECT_EQ(kv.status, Status::error);
    Received<BusMessage> got;
    auto sub = bus->subscribe("hello", record_into(got));

    server.start();
    ASSERT_TRUE(states->wait_for(2, std::chrono::seconds(20)));
    EXPECT_EQ(states->values()[1], BusState::connected);
    EXPECT_TRUE(log.contains("connected to"));
    auto other = connect_nats(options_for({server.url()}, "other"));
    // The subscription reaches the server in its own time after connecting.
    ASSERT_TRUE(eventually([&] {
        other->publish("hello", "world");
        return got.wait_for(1, std::chrono::milliseconds(200));
    }));
    EXPECT_EQ(got.values()[0].payload, "world");
}

TEST(NatsBus, ARestartedServerIsReconnectedWithSubscriptionsInForce) {
    NatsServer server;
    LogLines log;
    auto options = options_for({server.url()}, "a");
    options.logger = log.logger();
    auto a = connect_nats(options);
    auto b = connect_nats(options_for({server.url()}, "b"));
    auto states = watch_state(*a);
    ASSERT_TRUE(states->wait_for(1));
    Received<BusMessage> at_a;
    auto sub = a->subscribe("news.>", record_into(at_a));
    auto responder = echo(a, "svc", "a");
    auto created = kv_wait([&](auto done) { a->kv_create("reg", "proc", "a", done); });
    ASSERT_EQ(created.status, Status::ok);

    server.stop();
    ASSERT_TRUE(states->wait_for(2));
    EXPECT_EQ(states->values()[1], BusState::disconnected);
    EXPECT_TRUE(log.contains("lost the connection"));
    auto down = kv_wait([&](auto done) { a->kv_get("reg", "proc", done); });
    EXPECT_EQ(down.status, Status::error);
    EXPECT_TRUE(a->publish("news.kept", "while down")); // kept to be sent

    server.start();
    ASSERT_TRUE(states->wait_for(3, std::chrono::seconds(20)));
    EXPECT_EQ(states->values()[2], BusState::connected);
    EXPECT_TRUE(log.contains("reconnected"));

    // Its subscriptions are back: b's messages and requests reach a again
    // (b reconnects in its own time).
    ASSERT_TRUE(eventually([&] {
        auto reply = request_wait(*b, "svc", "ping", std::chrono::seconds(1));
        return reply && *reply && **reply == "a:ping";
    }));
    b->publish("news.b", "after");
    ASSERT_TRUE(eventually([&] {
        auto all = at_a.values();
        return std::any_of(all.begin(), all.end(),
                           [](const BusMessage& m) { return m.payload == "after"; });
    }));
    // JetStream kept its store on disk.
    auto kept = kv_wait([&](auto done) { b->kv_get("reg", "proc", done); });
    ASSERT_EQ(kept.status, Status::ok);
    EXPECT_EQ(kept.value, "a");
    EXPECT_EQ(kept.revision, created.revision);
    EXPECT_EQ(states->size(), 3u);
}

TEST(NatsBus, ClosingWhileDisconnectedEndsPendingWork) {
    NatsServer server;
    auto a = connect_nats(options_for({server.url()}, "a"));
    auto b = connect_nats(options_for({server.url()}, "b"));
    Received<BusMessage> heard;
    auto sub = b->subscribe("svc", record_into(heard));
    auto order = std::make_shared<Received<std::string>>();
    a->request("svc", "x", std::chrono::hours(1),
               [order](std::optional<std::string> r) { order->add(r ? "reply" : "no reply"); });
    ASSERT_TRUE(heard.wait_for(1));
    server.stop();
    a->on_state([order](BusState s) {
        if (s == BusState::closed) order->add("closed");
    });
    a->close();
    ASSERT_TRUE(order->wait_for(2));
    EXPECT_EQ(order->values(), (std::vector<std::string>{"no reply", "closed"}));
}

TEST(NatsBus, LosingTheServerEndsRequestsInFlight) {
    NatsServer server;
    auto a = connect_nats(options_for({server.url()}, "a"));
    auto b = connect_nats(options_for({server.url()}, "b"));
    Received<BusMessage> heard;
    auto sub = b->subscribe("svc", record_into(heard)); // hears, never answers
    auto done = std::make_shared<Received<std::optional<std::string>>>();
    a->request("svc", "x", std::chrono::hours(1),
               [done](std::optional<std::string> r) { done->add(std::move(r)); });
    ASSERT_TRUE(heard.wait_for(1));
    server.stop();
    // The answer cannot come over a lost link: the request ends now, not in
    // an hour.
    ASSERT_TRUE(done->wait_for(1, std::chrono::seconds(20)));
    EXPECT_FALSE(done->values()[0].has_value());
}

TEST(NatsBus, GivingUpReportsClosed) {
    NatsServer server;
    auto options = options_for({server.url()}, "a");
    options.max_reconnect = 2;
    auto a = connect_nats(options);
    auto states = watch_state(*a);
    ASSERT_TRUE(states->wait_for(1));
    auto sub = a->subscribe("nobody.answers", [](auto, auto, auto) {});
    server.stop();
    ASSERT_TRUE(states->wait_for(3, std::chrono::seconds(20)));
    EXPECT_EQ(states->values()[1], BusState::disconnected);
    EXPECT_EQ(states->values()[2], BusState::closed);
    EXPECT_FALSE(a->publish("x", "y"));
    auto r = request_wait(*a, "svc", "x", std::chrono::seconds(10));
    ASSERT_TRUE(r.has_value());
    EXPECT_FALSE(r->has_value());
}

TEST(NatsBus, AClusterOfThreeServersSurvivesLosingOne) {
    NatsCluster cluster(3);
    // Each bus knows one server and learns the others from it.
    auto options_a = options_for({cluster[0].url()}, "a");
    options_a.kv_replicas = 3;
    auto a = connect_nats(options_a);
    auto b = connect_nats(options_for({cluster[1].url()}, "b"));
    auto states = watch_state(*a);
    ASSERT_TRUE(states->wait_for(1));
    auto responder = echo(b, "svc", "b");
    Received<BusMessage> at_b;
    auto sub = b->subscribe("news", record_into(at_b));
    // Routes and JetStream's leaders come up in their own time.
    ASSERT_TRUE(eventually([&] {
        auto reply = request_wait(*a, "svc", "ping", std::chrono::seconds(1));
        return reply && *reply && **reply == "b:ping";
    }));
    KvResult created;
    ASSERT_TRUE(eventually([&] {
        created = kv_wait([&](auto done) { a->kv_create("reg", "proc", "a", done); });
        return created.status == Status::ok;
    })) << created.error;

    cluster[0].stop(); // a's server
    ASSERT_TRUE(states->wait_for(3, std::chrono::seconds(20)));
    EXPECT_EQ(states->values()[1], BusState::disconnected);
    EXPECT_EQ(states->values()[2], BusState::connected);
    ASSERT_TRUE(eventually([&] {
        auto reply = request_wait(*a, "svc", "again", std::chrono::seconds(1));
        return reply && *reply && **reply == "b:again";
    }));
    for (int i = 0; i < 100; ++i)
        a->publish("news", std::to_string(i));
    ASSERT_TRUE(at_b.wait_for(100));
    auto values = at_b.values();
    for (int i = 0; i < 100; ++i)
        EXPECT_EQ(values[static_cast<std::size_t>(i)].payload, std::to_string(i));
    // The bucket has a copy on each server: two of three still answer.
    KvResult kept;
    ASSERT_TRUE(eventually([&] {
        kept = kv_wait([&](auto done) { b->kv_get("reg", "proc", done); });
        return kept.status == Status::ok;
    })) << kept.error;
    EXPECT_EQ(kept.value, "a");
}

TEST(NatsUrls, CredentialsInUrlsAreRefusedAndNeverLogged) {
    EXPECT_EQ(redact_url("nats://user:pass@host:4222"), "nats://***@host:4222");
    EXPECT_EQ(redact_url("tls://token@h:1/p@q"), "tls://***@h:1/p@q");
    EXPECT_EQ(redact_url("nats://host:4222"), "nats://host:4222");
    EXPECT_EQ(redact_url("u:p@h:4222"), "***@h:4222");
    EXPECT_EQ(describe_urls({"nats://a:b@h:1", "nats://g:2"}), "nats://***@h:1, nats://g:2");

    auto with_secret = options_for({"nats://127.0.0.1:1", "nats://u:hunter2@127.0.0.1:2"}, "x");
    auto problem = nats_options_problem(with_secret);
    ASSERT_TRUE(problem.has_value());
    EXPECT_EQ(problem->key, "nats");
    try {
        connect_nats(with_secret);
        ADD_FAILURE() << "a URL with credentials was taken";
    } catch (const std::invalid_argument& e) {
        EXPECT_EQ(std::string(e.what()).find("hunter2"), std::string::npos) << e.what();
    }

    const auto key_at_fault = [](NatsOptions o) {
        auto p = nats_options_problem(o);
        return p ? p->key : std::string("none");
    };
    auto o = options_for({"nats://127.0.0.1:1"}, "x");
    EXPECT_EQ(key_at_fault(o), "none");
    EXPECT_EQ(key_at_fault(options_for({}, "x")), "nats");
    o.password = "p";
    EXPECT_EQ(key_at_fault(o), "user");
    o.user = "u";
    EXPECT_EQ(key_at_fault(o), "none");
    o.token = "t";
    EXPECT_EQ(key_at_fault(o), "user");
    auto nkey = options_for({"nats://127.0.0.1:1"}, "x");
    nkey.nkey_seed_file = "u.nk";
    EXPECT_EQ(key_at_fault(nkey), "nkey");
}

TEST(NatsBus, OptionsNatsRefusesThrow) {
    auto two = options_for({"nats://127.0.0.1:1"}, "x");
    two.user = "u";
    two.token = "t";
    EXPECT_THROW(connect_nats(two), std::invalid_argument);
    auto missing = options_for({"nats://127.0.0.1:1"}, "x");
    missing.creds_file = "/nonexistent/user.creds";
    EXPECT_THROW(connect_nats(missing), std::invalid_argument);
    auto ca = options_for({"tls://127.0.0.1:1"}, "x");
    ca.tls.ca_file = "/nonexistent/ca.pem";
    EXPECT_THROW(connect_nats(ca), std::invalid_argument);
    auto none = options_for({}, "x");
    EXPECT_THROW(connect_nats(none), std::invalid_argument);
}

TEST(NatsBus, HandlersThatDoNotKeepUpLoseMessagesNotMemory) {
    NatsServer server;
    LogLines log;
    auto options = options_for({server.url()}, "slow");
    options.max_pending_messages = 10;
    options.logger = log.logger();
    auto slow = connect_nats(options);
    auto fast = connect_nats(options_for({server.url()}, "fast"));
    std::promise<void> release;
    auto released = release.get_future().share();
    Received<BusMessage> got;
    std::atomic<bool> stuck{false};
    auto sub = slow->subscribe("flood", [&](std::string_view s, std::string_view p, auto) {
        if (got.size() == 0) { // stuck on the first one
            stuck = true;
            released.wait();
        }
        got.add({std::string(s), std::string(p), {}});
    });
    // Until the handler is stuck on one (publishes before the server knows
    // the subscription reach nobody), then the flood.
    int i = 0;
    ASSERT_TRUE(eventually([&] {
        fast->publish("flood", std::to_string(i++));
        return stuck.load();
    }));
    // The bus takes the one being handled and queues ten behind it; the rest
    // is dropped, and the 128th drop is logged (at each power of two). A
    // flood that makes exactly 128 drops has all arrived once that line is
    // there: sent at once, it may still be arriving when the first drop is.
    for (const int end = 11 + 128; i < end; ++i)
        fast->publish("flood", std::to_string(i));
    ASSERT_TRUE(eventually([&] { return log.contains("do not keep up; 128 messages dropped"); }));
    release.set_value();
    EXPECT_TRUE(got.wait_for(11, std::chrono::seconds(5)));
    // Nothing after the drops; what came through kept its order.
    Received<BusMessage> marker;
    auto marker_sub = slow->subscribe("marker", record_into(marker));
    ASSERT_TRUE(eventually([&] {
        fast->publish("marker", "");
        return marker.wait_for(1, std::chrono::milliseconds(200));
    }));
    EXPECT_EQ(got.size(), 11u);
    int last = -1;
    for (const BusMessage& m : got.values()) {
        EXPECT_GT(std::stoi(m.payload), last);
        last = std::stoi(m.payload);
    }
}
