// What the application learns when things go wrong outside an awaited
// operation: exceptions from event and progress handlers, the router closing
// the connection, and joining again on a transport the router closed.
#include "support/client_fixture.hpp"

#include <mutex>

namespace nexus::test {
namespace {

using client::CallOptions;
using client::CallResult;
using client::Event;
using client::Invocation;
using client::Result;

/// Collects what the handler-error handler is told.
struct Reported {
    std::mutex mutex;
    std::vector<std::pair<std::string, std::string>> errors; // where, what
    client::HandlerErrorHandler handler() {
        return [this](std::exception_ptr e, const std::string& where) {
            std::string what;
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& x) {
                what = x.what();
            }
            std::lock_guard lock(mutex);
            errors.emplace_back(where, what);
        };
    }
    std::size_t size() {
        std::lock_guard lock(mutex);
        return errors.size();
    }
};

class ClientHandlerErrors : public ::testing::Test {
protected:
    ClientHarness h;
    TransportCase local{"local"};
};

TEST_F(ClientHandlerErrors, EventHandlerExceptionsReachTheErrorHandler) {
    client::Session& sub = h.joined(local);
    client::Session& pub = h.joined(local);
    Reported reported;
    sub.on_handler_error(reported.handler());
    auto throwing = [](const Event&) { throw std::runtime_error("bad event"); };
    std::atomic<int> others{0};
    auto counting = [&](const Event&) { ++others; };
    h.run(sub.subscribe("com.example.t", throwing));
    h.run(sub.subscribe("com.example.t", counting));
    client::PublishOptions ack;
    ack.acknowledge = true;
    h.run(pub.publish("com.example.t", ack));
    ASSERT_TRUE(eventually([&] { return reported.size() == 1 && others == 1; }));
    std::lock_guard lock(reported.mutex);
    EXPECT_EQ(reported.errors[0].first, "event handler for com.example.t");
    EXPECT_EQ(reported.errors[0].second, "bad event");
}

TEST_F(ClientHandlerErrors, TheDefaultWritesThemToStderr) {
    client::Session& sub = h.joined(local);
    client::Session& pub = h.joined(local);
    auto throwing = [](const Event&) { throw std::runtime_error("bad event"); };
    std::atomic<int> others{0};
    auto counting = [&](const Event&) { ++others; };
    h.run(sub.subscribe("com.example.t", throwing));
    h.run(sub.subscribe("com.example.t", counting));
    ::testing::internal::CaptureStderr();
    h.run(pub.publish("com.example.t"));
    const bool delivered = eventually([&] { return others == 1; });
    h.sync();
    const std::string err = ::testing::internal::GetCapturedStderr();
    ASSERT_TRUE(delivered);
    EXPECT_NE(err.find("nexus client: the event handler for com.example.t threw: bad event"),
              std::string::npos)
        << err;
}

TEST_F(ClientHandlerErrors, ProgressHandlerExceptionsReachTheErrorHandler) {
    client::Session& callee = h.joined(local);
    client::Session& caller = h.joined(local);
    Reported reported;
    caller.on_handler_error(reported.handler());
    auto two_steps = [](const Invocation& inv) {
        inv.send_progress({1});
        inv.send_progress({2});
        return Result{{"done"}};
    };
    h.run(callee.provide("com.example.steps", two_steps));
    CallOptions options;
    options.on_progress = [](const CallResult&) { throw std::runtime_error("bad progress"); };
    CallResult r = h.run(caller.call("com.example.steps", options));
    EXPECT_EQ(r.args.at(0), wamp::Value("done"));
    h.sync();
    ASSERT_EQ(reported.size(), 2u);
    std::lock_guard lock(reported.mutex);
    EXPECT_EQ(reported.errors[0].first.rfind("progress handler of call ", 0), 0u);
    EXPECT_EQ(reported.errors[1].second, "bad progress");
}

class ClientRouterCloses : public ::testing::TestWithParam<TransportCase> {
protected:
    ClientHarness h;
    void stop_server() {
        if (GetParam().kind == "ws")
            h.websocket().stop();
        else
            h.rawsocket().stop();
    }
};

TEST_P(ClientRouterCloses, TheCloseReadsTheSameOnEveryTransport) {
    client::Session& s = h.joined(GetParam());
    auto closed = asio::co_spawn(h.executor(), s.wait_closed(), asio::use_future);
    stop_server();
    ASSERT_EQ(closed.wait_for(5s), std::future_status::ready);
    const client::CloseInfo info = closed.get();
    EXPECT_EQ(info.cause, client::CloseInfo::Cause::transport);
    EXPECT_EQ(info.reason, "the router closed the connection");
}

TEST_P(ClientRouterCloses, JoinAgainWorksWhileTheConnectionLastsAndThenSaysToReconnect) {
    client::Session& s = h.joined(GetParam());
    h.run(s.leave());
    h.run(s.join("realm1")); // nexus keeps the connection after GOODBYE
    h.run(s.leave());
    auto closed = asio::co_spawn(h.executor(), s.wait_closed(), asio::use_future);
    stop_server();
    ASSERT_EQ(closed.wait_for(5s), std::future_status::ready);
    try {
        h.run(s.join("realm1"));
        FAIL() << "joined on a closed transport";
    } catch (const client::SessionError& e) {
        EXPECT_NE(std::string(e.what()).find("connect a new transport"), std::string::npos)
            << e.what();
    }
}

INSTANTIATE_TEST_SUITE_P(Network, ClientRouterCloses,
                         ::testing::Values(TransportCase{"tcp"}, TransportCase{"ws"}), case_name);

} // namespace
} // namespace nexus::test
