// Client sessions over every transport and serializer: join, leave, the
// router ending the session, refusals, transport loss, and the three API
// styles (coroutines, futures, callbacks).
#include "support/client_fixture.hpp"

#include <nexus/wamp/features.hpp>
#include <nexus/wamp/uris.hpp>

namespace nexus::test {
namespace {

using client::CloseInfo;

class ClientSession : public ::testing::TestWithParam<TransportCase> {
protected:
    ClientHarness h;
};

TEST_P(ClientSession, JoinsAnnouncesRolesAndLeaves) {
    client::Session& s = h.session(GetParam());
    EXPECT_FALSE(s.is_joined());
    client::SessionInfo info = h.run(s.join("realm1"));
    EXPECT_TRUE(wamp::is_valid_id(info.session));
    EXPECT_EQ(info.realm, "realm1");
    EXPECT_EQ(info.authmethod, "anonymous");
    EXPECT_TRUE(info.router_has("dealer", wamp::features::progressive_call_results));
    EXPECT_TRUE(s.is_joined());
    ASSERT_TRUE(s.info());
    EXPECT_EQ(s.info()->session, info.session);
    EXPECT_TRUE(eventually([&] { return h.router().session_count() == 1; }));

    CloseInfo closed = h.run(s.leave());
    EXPECT_EQ(closed.cause, CloseInfo::Cause::goodbye);
    EXPECT_EQ(closed.reason, wamp::close::goodbye_and_out);
    EXPECT_FALSE(s.is_joined());
    EXPECT_FALSE(s.info());
    EXPECT_TRUE(eventually([&] { return h.router().session_count() == 0; }));

    // After the GOODBYE handshake the same transport carries a new session.
    client::SessionInfo again = h.run(s.join("realm1"));
    EXPECT_NE(again.session, info.session);
    EXPECT_TRUE(s.is_joined());
}

TEST_P(ClientSession, UnknownRealmFailsWithTheAbortReason) {
    client::Session& s = h.session(GetParam());
    try {
        h.run(s.join("no.such.realm"));
        FAIL() << "joined an unknown realm";
    } catch (const client::WampError& e) {
        EXPECT_EQ(e.uri(), wamp::errors::no_such_realm);
    }
    EXPECT_FALSE(s.is_joined());
}

TEST_P(ClientSession, RouterShutdownEndsTheSessionWithItsReason) {
    client::Session& s = h.joined(GetParam());
    auto closed = asio::co_spawn(h.executor(), s.wait_closed(), asio::use_future);
    h.router().shutdown();
    ASSERT_EQ(closed.wait_for(5s), std::future_status::ready);
    CloseInfo info = closed.get();
    EXPECT_EQ(info.cause, CloseInfo::Cause::goodbye);
    EXPECT_EQ(info.reason, wamp::close::system_shutdown);
    EXPECT_FALSE(s.is_joined());
    // Requests now fail at once instead of hanging.
    EXPECT_THROW(h.run(s.call("com.example.nothing")), client::SessionError);
}

TEST_P(ClientSession, PendingRequestsFailWhenTheTransportDrops) {
    client::Session& callee = h.joined(GetParam());
    client::Session& caller = h.joined(GetParam());
    // A procedure that never answers keeps the call pending.
    h.run(callee.provide_coroutine(
        "com.example.never", [](client::Invocation) -> asio::awaitable<client::Result> {
            asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::hours(1));
            co_await t.async_wait(asio::use_awaitable);
            co_return client::Result{};
        }));
    auto pending = asio::co_spawn(h.executor(), caller.call("com.example.never"), asio::use_future);
    auto closed = asio::co_spawn(h.executor(), caller.wait_closed(), asio::use_future);
    std::this_thread::sleep_for(50ms);
    caller.disconnect();
    ASSERT_EQ(pending.wait_for(5s), std::future_status::ready);
    EXPECT_THROW(pending.get(), client::SessionError);
    ASSERT_EQ(closed.wait_for(5s), std::future_status::ready);
    EXPECT_EQ(closed.get().cause, CloseInfo::Cause::transport);
    EXPECT_THROW(h.run(caller.join("realm1")), client::SessionError);
}

TEST_P(ClientSession, JoiningTwiceIsRefused) {
    client::Session& s = h.joined(GetParam());
    EXPECT_THROW(h.run(s.join("realm1")), client::SessionError);
    EXPECT_TRUE(s.is_joined());
}

INSTANTIATE_TEST_SUITE_P(AllTransports, ClientSession, ::testing::ValuesIn(all_transports()),
                         case_name);

// The API styles and thread safety, on the in-process transport.

TEST(ClientSessionApi, FuturesAndCallbacksWork) {
    ClientHarness h;
    client::Session& s = h.session({"local"});
    std::future<client::SessionInfo> joined = s.join("realm1", {}, asio::use_future);
    ASSERT_EQ(joined.wait_for(5s), std::future_status::ready);
    EXPECT_TRUE(wamp::is_valid_id(joined.get().session));

    auto reg = s.provide(
        "com.example.add",
        [](const client::Invocation& inv) {
            return client::Result{{inv.args().at(0).as_int() + inv.args().at(1).as_int()}};
        },
        {}, asio::use_future);
    ASSERT_EQ(reg.wait_for(5s), std::future_status::ready);
    reg.get();

    std::promise<std::int64_t> sum;
    s.call("com.example.add", {2, 3}, {}, {}, [&](std::exception_ptr e, client::CallResult r) {
        if (e)
            sum.set_exception(e);
        else
            sum.set_value(r.args.at(0).as_int());
    });
    auto f = sum.get_future();
    ASSERT_EQ(f.wait_for(5s), std::future_status::ready);
    EXPECT_EQ(f.get(), 5);
}

TEST(ClientSessionApi, CallsFromManyThreadsAllComplete) {
    ClientHarness h;
    client::Session& s = h.joined({"local"});
    h.run(s.provide("com.example.echo",
                    [](const client::Invocation& inv) { return client::Result{inv.args()}; }));
    std::vector<std::thread> threads;
    std::atomic<int> ok{0};
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 50; ++i) {
                auto r = s.call("com.example.echo", {t * 1000 + i}, {}, {}, asio::use_future);
                if (r.wait_for(5s) == std::future_status::ready &&
                    r.get().args.at(0).as_int() == t * 1000 + i)
                    ++ok;
            }
        });
    for (auto& t : threads)
        t.join();
    EXPECT_EQ(ok, 200);
}

TEST(ClientSessionApi, DestroyingTheSessionFreesTheRouterSession) {
    ClientHarness h;
    {
        client::Session s(h.executor(), client::connect_local(h.router(), h.executor()));
        h.run(s.join("realm1"));
        EXPECT_EQ(h.router().session_count(), 1u);
    }
    EXPECT_TRUE(eventually([&] { return h.router().session_count() == 0; }));
}

} // namespace
} // namespace nexus::test
