// Fault tests (issue #8), nexusd itself: SIGTERM with calls in flight over
// RawSocket and WebSocket. Every caller gets ERROR wamp.error.canceled for
// each pending call, callees with call_canceling an INTERRUPT per invocation,
// every session GOODBYE wamp.close.system_shutdown, and then nexusd closes
// its end of each connection once that is written (RawSocket: its FIN;
// WebSocket: a close frame). nexusd exits with 0 once the clients have hung
// up (or when the grace period ends).
#include "support/net_fault.hpp"
#include "support/nexusd_process.hpp"

#include <signal.h>

#include <iostream>

namespace nexus::test {
namespace {

using wamp::Value;

template <class Client> void expect_canceled(Client& caller, std::vector<wamp::Id> requests) {
    std::vector<wamp::Id> got;
    for (std::size_t i = 0; i < requests.size(); ++i) {
        auto e = caller.template expect<wamp::Error>();
        EXPECT_EQ(e.error, wamp::errors::canceled);
        got.push_back(e.request);
    }
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, requests);
}

template <class Client> void expect_goodbye(Client& c) {
    EXPECT_EQ(c.template expect<wamp::Goodbye>().reason, wamp::close::system_shutdown);
}

TEST(FaultNexusd, SigtermWithCallsInFlight) {
    NexusdProcess nexusd(
        {"--rawsocket", "127.0.0.1:0", "--websocket", "127.0.0.1:0", "--threads", "2"});
    const auto raw_port = nexusd.port("RawSocket"), ws_port = nexusd.port("WebSocket");
    ASSERT_NE(raw_port, 0) << nexusd.log().all();
    ASSERT_NE(ws_port, 0) << nexusd.log().all();

    RawClient callee_a(raw_port), caller_raw(raw_port), polite(raw_port);
    WsClient callee_b(ws_port), caller_ws(ws_port);
    ASSERT_NE(callee_a.join(hello_with_roles("realm1", rpc_features(true))), 0u);
    ASSERT_NE(callee_b.join(hello_with_roles("realm1", rpc_features(false))), 0u);
    ASSERT_NE(caller_raw.join(hello_with_roles("realm1", rpc_features())), 0u);
    ASSERT_NE(caller_ws.join(hello_with_roles("realm1", rpc_features())), 0u);
    ASSERT_NE(polite.join(), 0u);
    callee_a.send(wamp::Register{callee_a.next_request(), {}, "com.a"});
    callee_a.expect<wamp::Registered>();
    callee_b.send(wamp::Register{callee_b.next_request(), {}, "com.b"});
    callee_b.expect<wamp::Registered>();
    for (const char* procedure : {"com.a", "com.a", "com.b"})
        caller_raw.send(wamp::Call{caller_raw.next_request(), {}, procedure, {}});
    caller_ws.send(wamp::Call{caller_ws.next_request(), {}, "com.b", {}});
    for (int i = 0; i < 2; ++i)
        callee_a.expect<wamp::Invocation>();
    for (int i = 0; i < 2; ++i)
        callee_b.expect<wamp::Invocation>();

    const auto start = std::chrono::steady_clock::now();
    std::thread stopper([&] {
        nexusd.signal(SIGTERM);
        EXPECT_EQ(nexusd.wait(5s), 0);
    });

    // The polite client answers its GOODBYE and is let go at once.
    expect_goodbye(polite);
    polite.send(wamp::Goodbye{{}, std::string(wamp::close::goodbye_and_out)});
    EXPECT_TRUE(polite.closed_by_peer());
    const double polite_closed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    expect_canceled(caller_raw, {1, 2, 3});
    expect_goodbye(caller_raw);
    expect_canceled(caller_ws, {1});
    expect_goodbye(caller_ws);
    for (int i = 0; i < 2; ++i)
        EXPECT_EQ(callee_a.expect<wamp::Interrupt>().options.at("mode"), Value("killnowait"));
    expect_goodbye(callee_a);
    expect_goodbye(callee_b); // no INTERRUPT: it did not announce call_canceling
    // The others never answered: their connections are closed all the same.
    EXPECT_TRUE(caller_raw.closed_by_peer());
    EXPECT_TRUE(caller_ws.closed_by_peer());
    EXPECT_TRUE(callee_a.closed_by_peer());
    EXPECT_TRUE(callee_b.closed_by_peer());
    const double all_closed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    // nexusd waits for the RawSocket clients to hang up too.
    polite.close();
    caller_raw.close();
    callee_a.close();
    stopper.join();
    EXPECT_GE(nexusd.log().count("shutting down (SIGTERM)"), 1) << nexusd.log().all();
    EXPECT_GE(nexusd.log().count("stopped"), 1) << nexusd.log().all();
    std::cout << "SIGTERM: the answering client was closed after " << polite_closed
              << " s, the others after " << all_closed << " s\n";
}

} // namespace
} // namespace nexus::test
