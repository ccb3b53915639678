// Fault tests (issue #8), calls: callees and callers whose TCP connection is
// reset (SO_LINGER 0) in the middle of a call or of a progressive result.
// Each test ends with the router serving a fresh session, no session left
// behind (router introspection and wamp.session.count) and the process's
// file descriptors back at their baseline.
#include "support/net_fault.hpp"

namespace nexus::test {
namespace {

using wamp::Array;
using wamp::Object;
using wamp::Payload;
using wamp::Value;

class FaultRpc : public ::testing::Test {
protected:
    FaultRpc() : baseline_fds_(open_fds()) {}

    // Joined over RawSocket, with or without call_canceling.
    RawClient joined(bool call_canceling = true) {
        RawClient c(net_.raw_port());
        EXPECT_NE(c.join(hello_with_roles("realm1", rpc_features(call_canceling))), 0u);
        return c;
    }

    void register_(RawClient& callee, const std::string& procedure) {
        callee.send(wamp::Register{callee.next_request(), {}, procedure});
        callee.expect<wamp::Registered>();
    }

    // The end state every test must reach: nobody left in the router, a fresh
    // session served (and alone in wamp.session.count), and every descriptor
    // of the connections gone.
    void expect_clean_router() {
        EXPECT_TRUE(eventually([&] { return net_.router().session_count() == 0; }))
            << net_.router().session_count() << " sessions left";
        EXPECT_EQ(net_.meta_session_count(), 1);
        EXPECT_TRUE(eventually([&] { return open_fds() == baseline_fds_; }))
            << open_fds() << " descriptors open, " << baseline_fds_ << " at the start";
    }

    NetRouter net_;
    const int baseline_fds_; // with the servers listening, before any client
};

TEST_F(FaultRpc, CalleeResetMidCall) {
    RawClient callee = joined();
    register_(callee, "com.slow");
    RawClient caller = joined();
    const wamp::Id request = caller.next_request();
    caller.send(wamp::Call{request, {}, "com.slow", Payload(Array{1})});
    callee.expect<wamp::Invocation>();

    callee.hard_close();
    auto error = caller.expect<wamp::Error>();
    EXPECT_EQ(error.request_type, wamp::MessageType::call);
    EXPECT_EQ(error.request, request);
    EXPECT_EQ(error.error, wamp::errors::canceled);

    // The registration went with the callee; the caller is still served.
    auto again = caller.call("com.slow");
    ASSERT_TRUE(again && std::holds_alternative<wamp::Error>(*again)) << describe(again);
    EXPECT_EQ(std::get<wamp::Error>(*again).error, wamp::errors::no_such_procedure);
    EXPECT_EQ(net_.router().session_count(), 1u);
    caller.hard_close();
    expect_clean_router();
}

TEST_F(FaultRpc, CalleeResetMidProgressiveResult) {
    RawClient callee = joined();
    register_(callee, "com.stream");
    RawClient caller = joined();
    const wamp::Id request = caller.next_request();
    caller.send(wamp::Call{request, {{"receive_progress", true}}, "com.stream", {}});
    auto invocation = callee.expect<wamp::Invocation>();
    EXPECT_EQ(invocation.details.at("receive_progress"), Value(true));
    for (int i = 0; i < 3; ++i) {
        callee.send(wamp::Yield{invocation.request, {{"progress", true}}, Payload(Array{i})});
        auto chunk = caller.expect<wamp::Result>();
        EXPECT_EQ(chunk.request, request);
        EXPECT_EQ(chunk.details.at("progress"), Value(true));
        EXPECT_EQ(chunk.payload.args(), (Array{i}));
    }

    callee.hard_close();
    auto error = caller.expect<wamp::Error>();
    EXPECT_EQ(error.request, request);
    EXPECT_EQ(error.error, wamp::errors::canceled);
    // Nothing after the error: no stray final RESULT.
    auto more = caller.receive(200ms);
    EXPECT_FALSE(more) << describe(more);
    caller.hard_close();
    expect_clean_router();
}

// The callee announced call_canceling: one INTERRUPT (killnowait) per pending
// invocation; its YIELDs afterwards are dropped without an error or ABORT.
TEST_F(FaultRpc, CallerResetWithCallsPendingInterruptsTheCallee) {
    RawClient callee = joined(/*call_canceling=*/true);
    register_(callee, "com.slow");
    RawClient caller = joined();
    for (int i = 0; i < 3; ++i)
        caller.send(wamp::Call{caller.next_request(), {}, "com.slow", {}});
    std::vector<wamp::Id> invocations;
    for (int i = 0; i < 3; ++i)
        invocations.push_back(callee.expect<wamp::Invocation>().request);

    caller.hard_close();
    std::vector<wamp::Id> interrupted;
    for (int i = 0; i < 3; ++i) {
        auto interrupt = callee.expect<wamp::Interrupt>();
        EXPECT_EQ(interrupt.options.at("mode"), Value("killnowait"));
        interrupted.push_back(interrupt.request);
    }
    std::sort(interrupted.begin(), interrupted.end());
    EXPECT_EQ(interrupted, invocations);

    for (wamp::Id id : invocations)
        callee.send(wamp::Yield{id, {}, Payload(Array{"too late"})});
    callee.send(wamp::Error{wamp::MessageType::invocation, invocations[0], {}, "com.late", {}});
    // Still a healthy session: its next call gets a RESULT, nothing else came first.
    auto count = callee.call("wamp.session.count");
    ASSERT_TRUE(count && std::holds_alternative<wamp::Result>(*count)) << describe(count);
    EXPECT_EQ(std::get<wamp::Result>(*count).payload.args(), (Array{1}));
    callee.hard_close();
    expect_clean_router();
}

// Without call_canceling the callee is not interrupted; its late YIELD is dropped all the same.
TEST_F(FaultRpc, CallerResetCalleeWithoutCancelingIsNotInterrupted) {
    RawClient callee = joined(/*call_canceling=*/false);
    register_(callee, "com.slow");
    RawClient caller = joined();
    caller.send(wamp::Call{caller.next_request(), {}, "com.slow", {}});
    auto invocation = callee.expect<wamp::Invocation>();
    caller.hard_close();
    EXPECT_TRUE(eventually([&] { return net_.router().session_count() == 1; }));
    callee.send(wamp::Yield{invocation.request, {}, {}});
    auto count = callee.call("wamp.session.count");
    ASSERT_TRUE(count && std::holds_alternative<wamp::Result>(*count)) << describe(count);
    EXPECT_EQ(std::get<wamp::Result>(*count).payload.args(), (Array{1}));
    callee.hard_close();
    expect_clean_router();
}

// Callers and callees over both transports reset at once while 50 calls are
// in flight each way (a callee reset, a caller reset, the rest still served).
TEST_F(FaultRpc, ManyCallsInFlightWhenBothSidesReset) {
    RawClient callee_a = joined(), callee_b = joined();
    register_(callee_a, "com.a");
    register_(callee_b, "com.b");
    RawClient caller_raw = joined();
    auto caller_ws = std::make_unique<WsClient>(net_.ws_port());
    ASSERT_NE(caller_ws->join(hello_with_roles("realm1", rpc_features())), 0u);
    for (int i = 0; i < 50; ++i) {
        caller_raw.send(wamp::Call{caller_raw.next_request(), {}, "com.a", {}});
        caller_ws->send(wamp::Call{caller_ws->next_request(), {}, "com.b", {}});
    }
    for (int i = 0; i < 50; ++i) {
        callee_a.expect<wamp::Invocation>();
        callee_b.expect<wamp::Invocation>();
    }
    callee_a.hard_close();   // the RawSocket caller's 50 calls fail
    caller_ws->hard_close(); // callee_b's 50 invocations are interrupted
    caller_ws = nullptr;     // and its io_context's descriptors closed
    for (int i = 0; i < 50; ++i) {
        EXPECT_EQ(caller_raw.expect<wamp::Error>().error, wamp::errors::canceled);
        callee_b.expect<wamp::Interrupt>();
    }
    EXPECT_TRUE(eventually([&] { return net_.router().session_count() == 2; }));
    callee_b.hard_close();
    caller_raw.hard_close();
    expect_clean_router();
}

} // namespace
} // namespace nexus::test
