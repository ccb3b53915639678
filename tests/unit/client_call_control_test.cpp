// Bounding and cancelling calls: CallOptions::timeout (the router's timeout
// plus a local deadline that holds when the router does not answer) and
// CancelHandle.
#include "support/client_fixture.hpp"

#include <nexus/wamp/uris.hpp>

#include <mutex>

namespace nexus::test {
namespace {

using client::CallOptions;
using client::CancelHandle;
using client::CancelMode;
using client::Invocation;
using client::Result;
using client::WampError;

asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
    asio::steady_timer t(co_await asio::this_coro::executor, d);
    co_await t.async_wait(asio::use_awaitable);
}

// A router that welcomes the session and then never answers anything: what
// a router without call timeouts looks like while the callee hangs.
class SilentRouter final : public client::Transport {
public:
    void start(MessageHandler on_message, CloseHandler) override { deliver_ = on_message; }
    void send(wamp::Message m) override {
        if (std::holds_alternative<wamp::Hello>(m)) {
            deliver_(wamp::Welcome{7, {}});
            return;
        }
        std::lock_guard lock(mutex_);
        sent_.push_back(std::move(m));
    }
    void close() override { open_ = false; }
    bool is_open() const override { return open_; }
    std::string_view kind() const override { return "silent"; }
    std::optional<wamp::Format> format() const override { return std::nullopt; }

    std::vector<wamp::Message> sent() const {
        std::lock_guard lock(mutex_);
        return sent_;
    }

private:
    MessageHandler deliver_;
    std::atomic<bool> open_{true};
    mutable std::mutex mutex_;
    std::vector<wamp::Message> sent_;
};

// The call's outcome: "result:<first arg>" or the error's URI (caught on the
// I/O thread, see client_rpc_test.cpp's uri_of_call).
asio::awaitable<std::string> outcome(client::Session& caller, std::string procedure,
                                     CallOptions options) {
    try {
        auto r = co_await caller.call(procedure, wamp::Array{}, wamp::Object{}, options);
        co_return "result:" + (r.args.empty() ? std::string() : r.args[0].as_string());
    } catch (const WampError& e) {
        co_return e.uri();
    }
}

TEST(ClientCallControl, LocalDeadlineEndsACallTheRouterNeverAnswers) {
    ClientHarness h;
    auto router = std::make_shared<SilentRouter>();
    client::Session session(h.executor(), router);
    h.run(session.join("realm1"));
    CallOptions options;
    options.timeout = 50ms;
    EXPECT_EQ(h.run(outcome(session, "com.example.hang", options)), wamp::errors::timeout);
    // The router was asked to time the call out, and told to cancel it.
    auto sent = router->sent();
    ASSERT_EQ(sent.size(), 2u);
    const auto* call = std::get_if<wamp::Call>(&sent[0]);
    ASSERT_NE(call, nullptr);
    EXPECT_EQ(call->options.at("timeout"), wamp::Value(50));
    const auto* cancel = std::get_if<wamp::Cancel>(&sent[1]);
    ASSERT_NE(cancel, nullptr);
    EXPECT_EQ(cancel->request, call->request);
    EXPECT_EQ(cancel->options.at("mode"), wamp::Value("kill"));
    session.disconnect();
    h.sync();
}

class ClientCancelHandle : public ::testing::Test {
protected:
    ClientHarness h;
    TransportCase local{"local"};
    std::shared_ptr<std::atomic<int>> interrupted = std::make_shared<std::atomic<int>>(0);
    std::shared_ptr<std::atomic<int>> started = std::make_shared<std::atomic<int>>(0);

    void provide_slow(client::Session& callee) {
        auto slow = [interrupted = interrupted,
                     started = started](Invocation inv) -> asio::awaitable<Result> {
            ++*started;
            try {
                co_await sleep_for(10s);
            } catch (const boost::system::system_error&) {
                if (inv.interrupted()) ++*interrupted;
                throw;
            }
            co_return Result{{"late"}};
        };
        h.run(callee.provide_coroutine("com.example.slow", slow));
    }
};

TEST_F(ClientCancelHandle, CancelsARunningCallFromAnotherThread) {
    client::Session& callee = h.joined(local);
    client::Session& caller = h.joined(local);
    provide_slow(callee);
    CancelHandle handle;
    CallOptions options;
    options.cancel_handle = handle;
    auto call = asio::co_spawn(h.executor(), outcome(caller, "com.example.slow", options),
                               asio::use_future);
    ASSERT_TRUE(eventually([&] { return *started == 1; }));
    EXPECT_TRUE(handle.cancel(CancelMode::kill));  // from the test's thread
    EXPECT_FALSE(handle.cancel(CancelMode::kill)); // once only
    ASSERT_EQ(call.wait_for(5s), std::future_status::ready);
    EXPECT_EQ(call.get(), wamp::errors::canceled);
    EXPECT_EQ(*interrupted, 1);
}

TEST_F(ClientCancelHandle, CancelBeforeTheCallGoesOutCancelsItRightAfter) {
    client::Session& callee = h.joined(local);
    client::Session& caller = h.joined(local);
    provide_slow(callee);
    CancelHandle handle;
    EXPECT_TRUE(handle.cancel(CancelMode::skip));
    CallOptions options;
    options.cancel_handle = handle;
    EXPECT_EQ(h.run(outcome(caller, "com.example.slow", options)), wamp::errors::canceled);
}

TEST_F(ClientCancelHandle, CancelAfterTheCallEndedDoesNothing) {
    client::Session& callee = h.joined(local);
    client::Session& caller = h.joined(local);
    auto quick = [](const Invocation&) { return Result{{"quick"}}; };
    h.run(callee.provide("com.example.quick", quick));
    CancelHandle handle;
    CallOptions options;
    options.cancel_handle = handle;
    EXPECT_EQ(h.run(outcome(caller, "com.example.quick", options)), "result:quick");
    EXPECT_FALSE(handle.cancel());
}

TEST_F(ClientCancelHandle, RouterTimeoutAndLocalDeadlineAgree) {
    client::Session& callee = h.joined(local);
    client::Session& caller = h.joined(local);
    provide_slow(callee);
    CallOptions options;
    options.timeout = 50ms;
    EXPECT_EQ(h.run(outcome(caller, "com.example.slow", options)), wamp::errors::timeout);
    EXPECT_TRUE(eventually([&] { return *interrupted == 1; }));
}

} // namespace
} // namespace nexus::test
