// Fault tests (issue #8), shutdown: the router shuts down with calls in
// flight. Callers get ERROR wamp.error.canceled for each pending call,
// callees that announced call_canceling an INTERRUPT per invocation, every
// session then GOODBYE wamp.close.system_shutdown, and every socket closes.
// (The spec names no error for calls cut short by a shutdown; canceled is its
// "a Dealer canceled a call previously issued", and the session-level reason
// comes with the GOODBYE.)
#include "support/net_fault.hpp"

namespace nexus::test {
namespace {

using wamp::Array;
using wamp::Value;

struct Cast {
    RawClient callee_a; // call_canceling
    WsClient callee_b;  // no call_canceling
    RawClient caller_raw;
    WsClient caller_ws;

    explicit Cast(NetRouter& net)
        : callee_a(net.raw_port()), callee_b(net.ws_port()), caller_raw(net.raw_port()),
          caller_ws(net.ws_port()) {
        EXPECT_NE(callee_a.join(hello_with_roles("realm1", rpc_features(true))), 0u);
        EXPECT_NE(callee_b.join(hello_with_roles("realm1", rpc_features(false))), 0u);
        EXPECT_NE(caller_raw.join(hello_with_roles("realm1", rpc_features())), 0u);
        EXPECT_NE(caller_ws.join(hello_with_roles("realm1", rpc_features())), 0u);
        callee_a.send(wamp::Register{callee_a.next_request(), {}, "com.a"});
        callee_a.expect<wamp::Registered>();
        callee_b.send(wamp::Register{callee_b.next_request(), {}, "com.b"});
        callee_b.expect<wamp::Registered>();
        // Three calls on callee_a (two from RawSocket, one from WebSocket), one on callee_b.
        caller_raw.send(wamp::Call{caller_raw.next_request(), {}, "com.a", {}});
        caller_raw.send(wamp::Call{caller_raw.next_request(), {}, "com.a", {}});
        caller_raw.send(wamp::Call{caller_raw.next_request(), {}, "com.b", {}});
        caller_ws.send(wamp::Call{caller_ws.next_request(), {}, "com.a", {}});
        for (int i = 0; i < 3; ++i)
            callee_a.expect<wamp::Invocation>();
        callee_b.expect<wamp::Invocation>();
    }
};

template <class Client> void expect_canceled_calls(Client& caller, std::vector<wamp::Id> requests) {
    std::vector<wamp::Id> got;
    for (std::size_t i = 0; i < requests.size(); ++i) {
        auto e = caller.template expect<wamp::Error>();
        EXPECT_EQ(e.request_type, wamp::MessageType::call);
        EXPECT_EQ(e.error, wamp::errors::canceled);
        got.push_back(e.request);
    }
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, requests);
}

template <class Client> void expect_goodbye(Client& c) {
    auto g = c.template expect<wamp::Goodbye>();
    EXPECT_EQ(g.reason, wamp::close::system_shutdown);
}

// What nexusd does on SIGTERM: Router::shutdown(), and the servers stop
// after a grace period (fault_nexusd_test runs nexusd itself). Servers that
// stopped at once would close connections with the shutdown's messages still
// queued: stop() drops what is not written yet.
TEST(FaultShutdown, CallsInFlightWhenTheRouterShutsDownThenTheServersStop) {
    const int before_servers = open_fds();
    auto net = std::make_unique<NetRouter>();
    const std::uint16_t raw_port = net->raw_port(), ws_port = net->ws_port();
    {
        Cast cast(*net);
        net->router().shutdown();

        expect_canceled_calls(cast.caller_raw, {1, 2, 3});
        expect_goodbye(cast.caller_raw);
        expect_canceled_calls(cast.caller_ws, {1});
        expect_goodbye(cast.caller_ws);
        for (int i = 0; i < 3; ++i)
            EXPECT_EQ(cast.callee_a.expect<wamp::Interrupt>().options.at("mode"),
                      Value("killnowait"));
        expect_goodbye(cast.callee_a);
        expect_goodbye(cast.callee_b); // no INTERRUPT: it cannot take one
        net->stop_servers();           // nobody answered the GOODBYE: closed now
        EXPECT_TRUE(cast.caller_raw.closed_by_peer());
        EXPECT_TRUE(cast.caller_ws.closed_by_peer());
        EXPECT_TRUE(cast.callee_a.closed_by_peer());
        EXPECT_TRUE(cast.callee_b.closed_by_peer());
        EXPECT_EQ(net->router().session_count(), 0u);
        // The listeners close too (stop() closes them on the I/O threads, soon).
        EXPECT_TRUE(eventually([&] {
            for (std::uint16_t port : {raw_port, ws_port})
                if (const int fd = tcp_connect(port); fd >= 0) {
                    ::close(fd);
                    return false;
                }
            return true;
        }));
    }
    net.reset();
    EXPECT_TRUE(eventually([&] { return open_fds() == before_servers; }))
        << open_fds() << " descriptors open, " << before_servers << " before the servers";
}

// An embedder that only calls Router::shutdown(): the servers keep running,
// each client answers the GOODBYE and its connection is closed by the router;
// a new HELLO is refused with ABORT wamp.close.system_shutdown.
TEST(FaultShutdown, RouterShutdownAloneClosesEachSessionAfterItsGoodbye) {
    NetRouter net;
    const int baseline = open_fds();
    {
        Cast cast(net);
        net.router().shutdown();
        expect_canceled_calls(cast.caller_raw, {1, 2, 3});
        expect_goodbye(cast.caller_raw);
        expect_canceled_calls(cast.caller_ws, {1});
        expect_goodbye(cast.caller_ws);
        for (int i = 0; i < 3; ++i)
            cast.callee_a.expect<wamp::Interrupt>();
        expect_goodbye(cast.callee_a);
        expect_goodbye(cast.callee_b);
        EXPECT_EQ(net.router().session_count(), 0u);

        const wamp::Goodbye out{{}, std::string(wamp::close::goodbye_and_out)};
        cast.caller_raw.send(out);
        cast.caller_ws.send(out);
        cast.callee_a.send(out);
        EXPECT_TRUE(cast.caller_raw.closed_by_peer());
        EXPECT_TRUE(cast.caller_ws.closed_by_peer());
        EXPECT_TRUE(cast.callee_a.closed_by_peer());
        // callee_b never answers: it stays connected (it may still say
        // GOODBYE) until the server stops or the client goes.
        cast.callee_b.hard_close();

        RawClient late(net.raw_port());
        ASSERT_TRUE(late.handshake());
        late.send(hello_with_roles());
        EXPECT_EQ(late.expect<wamp::Abort>().reason, wamp::close::system_shutdown);
        EXPECT_TRUE(late.closed_by_peer());
    }
    EXPECT_TRUE(eventually([&] { return open_fds() == baseline; }))
        << open_fds() << " descriptors open, " << baseline << " at the start";
}

} // namespace
} // namespace nexus::test
