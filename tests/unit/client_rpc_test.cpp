// Caller and callee through the embedded router: results, errors, progressive
// results and inputs, cancellation (all modes), timeouts, disclosure, pattern
// and shared registrations, unregistering. The payload-carrying cases run
// over every transport and serializer.
#include "support/client_fixture.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>

#include <nexus/wamp/uris.hpp>

#include <map>
#include <optional>

namespace nexus::test {
namespace {

using client::CallOptions;
using client::CallResult;
using client::Invocation;
using client::Result;
using client::WampError;

asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
    asio::steady_timer t(co_await asio::this_coro::executor, d);
    co_await t.async_wait(asio::use_awaitable);
}

class ClientRpc : public ::testing::TestWithParam<TransportCase> {
protected:
    ClientHarness h;

    // Calls `procedure` asking for progress: what reached the caller, in
    // order (each progressive result's number, then the final result).
    std::vector<std::string> progress_then_result(client::Session& caller,
                                                  const std::string& procedure) {
        std::vector<std::string> seen;
        CallOptions options;
        options.on_progress = [&](const CallResult& r) {
            seen.push_back(std::to_string(r.args.at(0).as_int()));
        };
        CallResult r = h.run(caller.call(procedure, {}, {}, options));
        seen.push_back(r.args.at(0).as_string());
        return seen;
    }
};

TEST_P(ClientRpc, CallCarriesArgsAndKwargsBothWays) {
    client::Session& callee = h.joined(GetParam());
    client::Session& caller = h.joined(GetParam());
    h.run(callee.provide("com.example.swap", [](const Invocation& inv) {
        return Result{{inv.args().at(1), inv.args().at(0)},
                      {{"got", wamp::Value(inv.kwargs())}, {"bytes", wamp::Bytes{1, 2, 3}}}};
    }));
    CallResult r = h.run(caller.call("com.example.swap", {"a", 2.5}, {{"k", wamp::Array{1, 2}}}));
    ASSERT_EQ(r.args.size(), 2u);
    EXPECT_EQ(r.args[0], wamp::Value(2.5));
    EXPECT_EQ(r.args[1], wamp::Value("a"));
    EXPECT_EQ(r.kwargs.at("got"), wamp::Value(wamp::Object{{"k", wamp::Array{1, 2}}}));
    EXPECT_EQ(r.kwargs.at("bytes"), wamp::Value(wamp::Bytes{1, 2, 3}));
    EXPECT_FALSE(r.progress());
}

TEST_P(ClientRpc, ErrorsCarryUriArgsAndKwargs) {
    client::Session& callee = h.joined(GetParam());
    client::Session& caller = h.joined(GetParam());
    h.run(callee.provide("com.example.fail", [](const Invocation&) -> Result {
        throw WampError("com.example.error.bad", {"why", 7}, {{"field", "x"}});
    }));
    h.run(callee.provide("com.example.crash",
                         [](const Invocation&) -> Result { throw std::logic_error("boom"); }));
    try {
        h.run(caller.call("com.example.fail"));
        FAIL() << "no error";
    } catch (const WampError& e) {
        EXPECT_EQ(e.uri(), "com.example.error.bad");
        EXPECT_EQ(e.args(), (wamp::Array{"why", 7}));
        EXPECT_EQ(e.kwargs().at("field"), wamp::Value("x"));
        EXPECT_STREQ(e.what(), "com.example.error.bad: why");
    }
    try {
        h.run(caller.call("com.example.crash"));
        FAIL() << "no error";
    } catch (const WampError& e) {
        EXPECT_EQ(e.uri(), "wamp.error.runtime_error");
        EXPECT_EQ(e.args(), (wamp::Array{"boom"}));
    }
    try {
        h.run(caller.call("com.example.missing"));
        FAIL() << "no error";
    } catch (const WampError& e) {
        EXPECT_EQ(e.uri(), wamp::errors::no_such_procedure);
    }
}

TEST_P(ClientRpc, ProgressiveResultsReachTheProgressHandler) {
    client::Session& callee = h.joined(GetParam());
    client::Session& caller = h.joined(GetParam());
    h.run(callee.provide_coroutine("com.example.count",
                                   [](Invocation inv) -> asio::awaitable<Result> {
                                       EXPECT_TRUE(inv.receive_progress());
                                       const auto n = inv.args().at(0).as_int();
                                       for (std::int64_t i = 1; i <= n; ++i) {
                                           EXPECT_TRUE(inv.send_progress({i}));
                                           co_await sleep_for(1ms);
                                       }
                                       co_return Result{{"done"}};
                                   }));
    std::vector<std::int64_t> seen; // the progress handler runs on the caller's strand
    CallOptions options;
    options.on_progress = [&](const CallResult& r) {
        EXPECT_TRUE(r.progress());
        seen.push_back(r.args.at(0).as_int());
    };
    CallResult r = h.run(caller.call("com.example.count", {3}, {}, options));
    EXPECT_EQ(r.args.at(0), wamp::Value("done"));
    EXPECT_EQ(seen, (std::vector<std::int64_t>{1, 2, 3}));

    // Without on_progress nothing is asked for and nothing is sent.
    h.run(callee.provide("com.example.quiet", [](const Invocation& inv) {
        EXPECT_FALSE(inv.receive_progress());
        EXPECT_FALSE(inv.send_progress({1}));
        return Result{{"only"}};
    }));
    EXPECT_EQ(h.run(caller.call("com.example.quiet")).args.at(0), wamp::Value("only"));
}

// Progress sent right before the final result (no suspension in between)
// must still reach the caller, and before the result.
TEST_P(ClientRpc, ProgressThenResultKeepTheirOrderFromACoroutine) {
    client::Session& callee = h.joined(GetParam());
    client::Session& caller = h.joined(GetParam());
    auto sent = std::make_shared<std::vector<bool>>(); // send_progress's answers
    h.run(callee.provide_coroutine("com.example.burst",
                                   [sent](Invocation inv) -> asio::awaitable<Result> {
                                       co_await sleep_for(1ms);
                                       for (std::int64_t i = 1; i <= 3; ++i)
                                           sent->push_back(inv.send_progress({i}));
                                       co_return Result{{"done"}};
                                   }));
    EXPECT_EQ(progress_then_result(caller, "com.example.burst"),
              (std::vector<std::string>{"1", "2", "3", "done"}));
    EXPECT_EQ(*sent, (std::vector<bool>{true, true, true}));
}

TEST_P(ClientRpc, ProgressThenResultKeepTheirOrderFromAPlainHandler) {
    client::Session& callee = h.joined(GetParam());
    client::Session& caller = h.joined(GetParam());
    auto kept = std::make_shared<std::optional<Invocation>>();
    auto sent = std::make_shared<std::vector<bool>>();
    h.run(callee.provide("com.example.burst", [kept, sent](const Invocation& inv) {
        for (std::int64_t i = 1; i <= 3; ++i)
            sent->push_back(inv.send_progress({i}));
        *kept = inv;
        return Result{{"done"}};
    }));
    EXPECT_EQ(progress_then_result(caller, "com.example.burst"),
              (std::vector<std::string>{"1", "2", "3", "done"}));
    EXPECT_EQ(*sent, (std::vector<bool>{true, true, true}));
    // The call is over: nothing more is sent, and send_progress says so.
    h.sync();
    ASSERT_TRUE(kept->has_value());
    EXPECT_FALSE((*kept)->send_progress({4}));
}

TEST_P(ClientRpc, ProgressiveCallInputsArriveInOrder) {
    client::Session& callee = h.joined(GetParam());
    client::Session& caller = h.joined(GetParam());
    // Running sums per call: the handler runs once per chunk, in order.
    auto sums = std::make_shared<std::map<wamp::Id, std::int64_t>>();
    h.run(callee.provide("com.example.sum", [sums](const Invocation& inv) -> Result {
        auto& sum = (*sums)[inv.request()];
        sum += inv.args().at(0).as_int();
        if (inv.progress()) return Result{{sum}}; // an intermediate result
        return Result{{sum, "final"}};
    }));
    std::vector<std::int64_t> partial;
    CallOptions options;
    options.on_progress = [&](const CallResult& r) { partial.push_back(r.args.at(0).as_int()); };
    client::ProgressiveCall call = caller.open_call("com.example.sum", options);
    call.send({1});
    call.send({2});
    call.send({3});
    CallResult r = h.run(call.finish({4}));
    EXPECT_EQ(r.args, (wamp::Array{10, "final"}));
    EXPECT_EQ(partial, (std::vector<std::int64_t>{1, 3, 6}));
}

INSTANTIATE_TEST_SUITE_P(AllTransports, ClientRpc, ::testing::ValuesIn(all_transports()),
                         case_name);

class ClientRpcLocal : public ::testing::Test {
protected:
    ClientHarness h;
    TransportCase local{"local"};

    // A callee whose procedure waits until interrupted (or 10 s).
    void provide_slow(client::Session& callee, std::shared_ptr<std::atomic<int>> interrupted) {
        h.run(callee.provide_coroutine("com.example.slow",
                                       [interrupted](Invocation inv) -> asio::awaitable<Result> {
                                           try {
                                               co_await sleep_for(10s);
                                           } catch (const boost::system::system_error&) {
                                               if (inv.interrupted()) ++*interrupted;
                                               throw;
                                           }
                                           co_return Result{{"late"}};
                                       }));
    }

    // The call's outcome: "result" or the error's URI. The error is caught on
    // the I/O thread and only its URI crosses to the test's: an exception_ptr
    // handed across threads is released inside libstdc++, whose atomics TSan
    // does not see (a false data race). Parameters, not lambda captures, so
    // the coroutine frame owns them.
    static asio::awaitable<std::string>
    uri_of_call(client::Session& caller, CallOptions options,
                std::shared_ptr<asio::cancellation_signal> signal) {
        try {
            co_await caller.call("com.example.slow", {}, {}, options,
                                 asio::bind_cancellation_slot(signal->slot(), asio::use_awaitable));
            co_return "result";
        } catch (const WampError& e) {
            co_return e.uri();
        }
    }

    // Calls com.example.slow and cancels the operation after 30 ms.
    std::string cancelled_call(client::Session& caller, client::CancelMode mode) {
        auto signal = std::make_shared<asio::cancellation_signal>();
        CallOptions options;
        options.cancel_mode = mode;
        auto call =
            asio::co_spawn(h.executor(), uri_of_call(caller, options, signal), asio::use_future);
        std::this_thread::sleep_for(30ms);
        asio::post(h.executor(), [signal] { signal->emit(asio::cancellation_type::terminal); });
        if (call.wait_for(5s) != std::future_status::ready) return "no answer";
        return call.get();
    }
};

TEST_F(ClientRpcLocal, CancelKillInterruptsTheCalleeAndWaitsForIt) {
    client::Session& callee = h.joined(local);
    client::Session& caller = h.joined(local);
    auto interrupted = std::make_shared<std::atomic<int>>(0);
    provide_slow(callee, interrupted);
    EXPECT_EQ(cancelled_call(caller, client::CancelMode::kill), wamp::errors::canceled);
    EXPECT_EQ(*interrupted, 1);
}

TEST_F(ClientRpcLocal, CancelKillNoWaitInterruptsTheCallee) {
    client::Session& callee = h.joined(local);
    client::Session& caller = h.joined(local);
    auto interrupted = std::make_shared<std::atomic<int>>(0);
    provide_slow(callee, interrupted);
    EXPECT_EQ(cancelled_call(caller, client::CancelMode::killnowait), wamp::errors::canceled);
    EXPECT_TRUE(eventually([&] { return *interrupted == 1; }));
}

TEST_F(ClientRpcLocal, CancelSkipLeavesTheCalleeAlone) {
    client::Session& callee = h.joined(local);
    client::Session& caller = h.joined(local);
    auto interrupted = std::make_shared<std::atomic<int>>(0);
    provide_slow(callee, interrupted);
    EXPECT_EQ(cancelled_call(caller, client::CancelMode::skip), wamp::errors::canceled);
    std::this_thread::sleep_for(50ms);
    EXPECT_EQ(*interrupted, 0);
}

TEST_F(ClientRpcLocal, TimeoutEndsTheCallAndInterruptsTheCallee) {
    client::Session& callee = h.joined(local);
    client::Session& caller = h.joined(local);
    auto interrupted = std::make_shared<std::atomic<int>>(0);
    provide_slow(callee, interrupted);
    CallOptions options;
    options.timeout = 50ms;
    try {
        h.run(caller.call("com.example.slow", {}, {}, options));
        FAIL() << "no timeout";
    } catch (const WampError& e) {
        EXPECT_EQ(e.uri(), wamp::errors::timeout);
    }
    EXPECT_TRUE(eventually([&] { return *interrupted == 1; }));
}

TEST_F(ClientRpcLocal, DiscloseMeTellsTheCalleeWhoCalls) {
    client::Session& callee = h.joined(local);
    client::Session& caller = h.joined(local);
    h.run(callee.provide("com.example.who", [](const Invocation& inv) {
        return Result{{inv.caller() ? wamp::Value(*inv.caller()) : wamp::Value()}};
    }));
    CallOptions disclose;
    disclose.disclose_me = true;
    EXPECT_EQ(h.run(caller.call("com.example.who", {}, {}, disclose)).args.at(0),
              wamp::Value(caller.info()->session));
    EXPECT_TRUE(h.run(caller.call("com.example.who")).args.at(0).is_null());
}

TEST_F(ClientRpcLocal, PatternRegistrationsReportTheCalledProcedure) {
    client::Session& callee = h.joined(local);
    client::Session& caller = h.joined(local);
    auto echo_procedure = [](const Invocation& inv) { return Result{{inv.procedure()}}; };
    client::RegisterOptions prefix;
    prefix.match = wamp::MatchPolicy::prefix;
    client::RegisterOptions wildcard;
    wildcard.match = wamp::MatchPolicy::wildcard;
    h.run(callee.provide("com.example.prefix", echo_procedure, prefix));
    h.run(callee.provide("com.example..wild", echo_procedure, wildcard));
    EXPECT_EQ(h.run(caller.call("com.example.prefix.a.b")).args.at(0),
              wamp::Value("com.example.prefix.a.b"));
    EXPECT_EQ(h.run(caller.call("com.example.x.wild")).args.at(0),
              wamp::Value("com.example.x.wild"));
}

TEST_F(ClientRpcLocal, SharedRegistrationRoundRobin) {
    client::Session& a = h.joined(local);
    client::Session& b = h.joined(local);
    client::Session& caller = h.joined(local);
    client::RegisterOptions shared;
    shared.invoke = client::InvokePolicy::roundrobin;
    h.run(a.provide(
        "com.example.rr", [](const Invocation&) { return Result{{"a"}}; }, shared));
    h.run(b.provide(
        "com.example.rr", [](const Invocation&) { return Result{{"b"}}; }, shared));
    std::vector<std::string> order;
    for (int i = 0; i < 4; ++i)
        order.push_back(h.run(caller.call("com.example.rr")).args.at(0).as_string());
    EXPECT_EQ(order, (std::vector<std::string>{"a", "b", "a", "b"}));
    // A single registration refuses a second callee.
    h.run(a.provide("com.example.single", [](const Invocation&) { return Result{}; }));
    try {
        h.run(b.provide("com.example.single", [](const Invocation&) { return Result{}; }));
        FAIL() << "registered twice";
    } catch (const WampError& e) {
        EXPECT_EQ(e.uri(), wamp::errors::procedure_already_exists);
    }
}

TEST_F(ClientRpcLocal, UnregisterRemovesTheProcedure) {
    client::Session& callee = h.joined(local);
    client::Session& caller = h.joined(local);
    client::Registration reg =
        h.run(callee.provide("com.example.once", [](const Invocation&) { return Result{{1}}; }));
    EXPECT_EQ(reg.procedure, "com.example.once");
    EXPECT_EQ(h.run(caller.call("com.example.once")).args.at(0), wamp::Value(1));
    h.run(callee.unregister(reg));
    EXPECT_THROW(h.run(caller.call("com.example.once")), WampError);
    try {
        h.run(callee.unregister(reg));
        FAIL() << "unregistered twice";
    } catch (const WampError& e) {
        EXPECT_EQ(e.uri(), wamp::errors::no_such_registration);
    }
}

TEST_F(ClientRpcLocal, CallerLeavingInterruptsTheCallee) {
    client::Session& callee = h.joined(local);
    client::Session& caller = h.joined(local);
    auto interrupted = std::make_shared<std::atomic<int>>(0);
    provide_slow(callee, interrupted);
    auto call = asio::co_spawn(h.executor(), caller.call("com.example.slow"), asio::use_future);
    std::this_thread::sleep_for(30ms);
    h.run(caller.leave());
    EXPECT_THROW(call.get(), client::SessionError);
    EXPECT_TRUE(eventually([&] { return *interrupted == 1; }));
}

} // namespace
} // namespace nexus::test
