// Reconnector: a session that comes back after its transport is lost, with
// its procedures and subscriptions; backoff that gives up; stop().
#include "support/client_fixture.hpp"

#include <nexus/client/reconnector.hpp>

#include <boost/asio/ip/tcp.hpp>

namespace nexus::test {
namespace {

client::ReconnectOptions fast() {
    client::ReconnectOptions o;
    o.initial_delay = 20ms;
    o.max_delay = 100ms;
    return o;
}

TEST(ClientReconnect, RejoinsAndRedeclaresAfterTheTransportIsLost) {
    ClientHarness h;
    const std::uint16_t port = h.rawsocket().tcp_port();
    const std::string url = "tcp://127.0.0.1:" + std::to_string(port);

    client::Reconnector keeper(h.executor(), client::Reconnector::to_url(h.executor(), url),
                               "realm1", {}, fast());
    std::atomic<int> news{0};
    keeper.provide("com.example.alive",
                   [](const client::Invocation&) { return client::Result{{"yes"}}; });
    keeper.subscribe("com.example.news", [&](const client::Event&) { ++news; });
    std::atomic<int> joined{0};
    keeper.on_join([&](client::Session&, const client::SessionInfo& info) {
        EXPECT_TRUE(wamp::is_valid_id(info.session));
        ++joined;
    });
    keeper.start();
    ASSERT_TRUE(eventually([&] { return keeper.joins() == 1; }));
    EXPECT_EQ(joined, 1);

    client::Session& other = h.joined({"local"});
    EXPECT_EQ(h.run(other.call("com.example.alive")).args, (wamp::Array{"yes"}));
    client::PublishOptions ack;
    ack.acknowledge = true;
    h.run(other.publish("com.example.news", {1}, {}, ack));
    ASSERT_TRUE(eventually([&] { return news == 1; }));

    // The listener goes away with its connections; attempts fail until a
    // new one listens on the same port.
    h.rawsocket().stop();
    ASSERT_TRUE(
        eventually([&] { return keeper.session() == nullptr || !keeper.session()->is_joined(); }));
    EXPECT_THROW(h.run(other.call("com.example.alive")), client::WampError);
    std::this_thread::sleep_for(150ms); // a few refused attempts
    asio::io_context io;
    transport::RawSocketOptions o;
    o.tcp_address = "127.0.0.1:" + std::to_string(port);
    transport::RawSocketServer again(io.get_executor(), h.router(), o);
    again.start();
    std::thread t([&] { io.run_for(10s); });

    EXPECT_TRUE(eventually([&] { return keeper.joins() == 2; }, 5000ms));
    EXPECT_EQ(joined, 2);
    EXPECT_EQ(h.run(other.call("com.example.alive")).args, (wamp::Array{"yes"}));
    h.run(other.publish("com.example.news", {2}, {}, ack));
    EXPECT_TRUE(eventually([&] { return news == 2; }));

    keeper.stop();
    EXPECT_TRUE(eventually([&] { return keeper.finished(); }));
    EXPECT_TRUE(eventually([&] { return h.router().session_count() == 1; })); // `other` only
    again.stop();
    io.stop();
    t.join();
}

TEST(ClientReconnect, GivesUpAfterMaxAttempts) {
    ClientHarness h;
    asio::io_context io;
    asio::ip::tcp::acceptor probe(io, {asio::ip::make_address("127.0.0.1"), 0});
    const auto port = std::to_string(probe.local_endpoint().port());
    probe.close(); // nobody listens there now
    client::ReconnectOptions o = fast();
    o.max_attempts = 3;
    client::Reconnector keeper(h.executor(),
                               client::Reconnector::to_url(h.executor(), "tcp://127.0.0.1:" + port),
                               "realm1", {}, o);
    keeper.start();
    EXPECT_TRUE(eventually([&] { return keeper.finished(); }));
    EXPECT_EQ(keeper.joins(), 0u);
}

TEST(ClientReconnect, StopLeavesAndDoesNotComeBack) {
    ClientHarness h;
    client::Reconnector keeper(
        h.executor(),
        [&]() -> asio::awaitable<std::shared_ptr<client::Transport>> {
            co_return client::connect_local(h.router(), co_await asio::this_coro::executor);
        },
        "realm1", {}, fast());
    keeper.start();
    ASSERT_TRUE(eventually([&] { return keeper.joins() == 1; }));
    EXPECT_EQ(h.router().session_count(), 1u);
    keeper.stop();
    EXPECT_TRUE(eventually([&] { return keeper.finished(); }));
    EXPECT_TRUE(eventually([&] { return h.router().session_count() == 0; }));
    std::this_thread::sleep_for(100ms);
    EXPECT_EQ(keeper.joins(), 1u);
}

} // namespace
} // namespace nexus::test
