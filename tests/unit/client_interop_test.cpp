// Interoperability: the nexus C++ client and autobahn-js (npm, tests/interop/
// client_peer.js) call each other, publish to each other and exchange
// errors and progressive results through a nexus router over WebSocket with
// every serializer. Skipped when Node.js or the npm packages are missing
// (`make deps` installs them).
#include "support/client_fixture.hpp"

#include <cstdio>
#include <filesystem>
#include <mutex>
#include <sys/wait.h>

namespace nexus::test {
namespace {

namespace fs = std::filesystem;

const fs::path interop_dir = NEXUS_INTEROP_DIR;

/// Runs a command on its own thread; collects its output and exit status.
class Child {
public:
    explicit Child(std::string command)
        : thread_([this, command = std::move(command) + " 2>&1"] {
              FILE* pipe = ::popen(command.c_str(), "r");
              if (!pipe) return;
              char buffer[512];
              while (std::fgets(buffer, sizeof buffer, pipe))
                  output_ += buffer;
              const int status = ::pclose(pipe);
              exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
          }) {}
    /// Waits for the end; the exit code (-1 when killed or not started).
    int wait() {
        thread_.join();
        return exit_code_;
    }
    const std::string& output() const { return output_; }

private:
    std::string output_;
    int exit_code_ = -1;
    std::thread thread_;
};

class ClientInterop : public ::testing::TestWithParam<wamp::Format> {};

TEST_P(ClientInterop, AutobahnJsCallsAndIsCalled) {
    if (!fs::exists(interop_dir / "node_modules" / "autobahn") ||
        std::system("node --version > /dev/null 2>&1") != 0)
        GTEST_SKIP() << "Node.js or tests/interop/node_modules missing (make deps)";

    ClientHarness h;
    const TransportCase ws{"ws", GetParam()};
    client::Session& s = h.joined(ws);
    using client::Invocation;
    using client::Result;
    h.run(s.provide("com.interop.cpp.add", [](const Invocation& inv) {
        const auto scale = inv.kwargs().at("scale").as_int();
        return Result{{(inv.args().at(0).as_int() + inv.args().at(1).as_int()) * scale}};
    }));
    h.run(s.provide("com.interop.cpp.fail", [](const Invocation&) -> Result {
        throw client::WampError("com.interop.cpp.oops", {"too big"}, {{"limit", 10}});
    }));
    h.run(
        s.provide_coroutine("com.interop.cpp.count", [](Invocation inv) -> asio::awaitable<Result> {
            for (std::int64_t i = 1; i <= inv.args().at(0).as_int(); ++i)
                inv.send_progress({i});
            co_return Result{{"done"}};
        }));
    std::promise<std::int64_t> ready;
    h.run(s.provide("com.interop.cpp.ready", [&ready](const Invocation& inv) {
        ready.set_value(inv.args().at(0).as_int());
        return Result{};
    }));
    std::mutex mutex;
    std::vector<client::Event> pongs;
    h.run(s.subscribe("com.interop.js.pong", [&](const client::Event& e) {
        std::lock_guard lock(mutex);
        pongs.push_back(e);
    }));

    Child node("node " + (interop_dir / "client_peer.js").string() + " " + h.url(ws) + " " +
               std::string(wamp::format_name(GetParam())));
    auto js_ready = ready.get_future();
    if (js_ready.wait_for(15s) != std::future_status::ready) {
        s.disconnect();
        node.wait();
        FAIL() << "autobahn-js never got ready: " << node.output();
    }
    EXPECT_EQ(js_ready.get(), 0) << "autobahn-js checks failed so far";

    client::CallOptions disclose;
    disclose.disclose_me = true;
    auto greeting = h.run(s.call("com.interop.js.greet", {"cpp"}, {}, disclose));
    EXPECT_EQ(greeting.args, (wamp::Array{"hello, cpp"}));
    EXPECT_EQ(greeting.kwargs.at("caller"), wamp::Value(s.info()->session));
    try {
        h.run(s.call("com.interop.js.fail"));
        ADD_FAILURE() << "no error";
    } catch (const client::WampError& e) {
        EXPECT_EQ(e.uri(), "com.interop.js.oops");
        EXPECT_EQ(e.args(), (wamp::Array{"bad input"}));
        EXPECT_EQ(e.kwargs().at("code"), wamp::Value(3));
    }
    // (No progressive results from autobahn-js as a callee: it does not announce
    // call_canceling for the callee role, and nexus offers progressive results
    // only to callees that do, as the spec asks. The other direction is checked
    // by the peer: com.interop.cpp.count.)
    client::PublishOptions publish;
    publish.acknowledge = true;
    publish.disclose_me = true;
    h.run(s.publish("com.interop.cpp.ping", {"ping", 42}, {}, publish));
    EXPECT_TRUE(eventually([&] {
        std::lock_guard lock(mutex);
        return !pongs.empty();
    }));
    {
        std::lock_guard lock(mutex);
        if (!pongs.empty()) {
            EXPECT_EQ(pongs[0].args, (wamp::Array{"ping", 42}));
            EXPECT_EQ(pongs[0].kwargs.at("from"), wamp::Value(s.info()->session));
        }
    }
    EXPECT_EQ(h.run(s.call("com.interop.js.finish")).args, (wamp::Array{0}));
    EXPECT_EQ(node.wait(), 0) << node.output();
}

INSTANTIATE_TEST_SUITE_P(WebSocket, ClientInterop,
                         ::testing::Values(wamp::Format::json, wamp::Format::msgpack,
                                           wamp::Format::cbor),
                         [](const auto& info) {
                             return std::string(wamp::format_name(info.param));
                         });

} // namespace
} // namespace nexus::test
