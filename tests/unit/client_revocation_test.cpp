// Registration and subscription revocation (UNREGISTERED / UNSUBSCRIBED with
// request 0 and details), against a scripted router: nexus's router does not
// revoke yet, but the client announces both features, so both must work.
#include <nexus/client/session.hpp>
#include <nexus/wamp/uris.hpp>

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

namespace nexus::client {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

// Answers HELLO, REGISTER and SUBSCRIBE; everything else is up to the test.
class ScriptedRouter final : public Transport {
public:
    void start(MessageHandler on_message, CloseHandler) override { deliver = on_message; }
    void send(wamp::Message m) override {
        sent.push_back(m);
        if (std::holds_alternative<wamp::Hello>(m))
            deliver(wamp::Welcome{7, {}});
        else if (auto* r = std::get_if<wamp::Register>(&m))
            deliver(wamp::Registered{r->request, 100});
        else if (auto* s = std::get_if<wamp::Subscribe>(&m))
            deliver(wamp::Subscribed{s->request, 200});
    }
    void close() override {}
    bool is_open() const override { return true; }
    std::string_view kind() const override { return "scripted"; }
    std::optional<wamp::Format> format() const override { return std::nullopt; }

    MessageHandler deliver;
    std::vector<wamp::Message> sent;
};

class ClientRevocation : public ::testing::Test {
protected:
    template <class T> T run(asio::awaitable<T> aw) {
        auto f = asio::co_spawn(io, std::move(aw), asio::use_future);
        io.restart();
        io.run_for(1s);
        return f.get();
    }
    void settle() {
        io.restart();
        io.run_for(50ms);
    }

    asio::io_context io;
    std::shared_ptr<ScriptedRouter> router = std::make_shared<ScriptedRouter>();
    Session session{io.get_executor(), router};
};

TEST_F(ClientRevocation, ARevokedRegistrationIsForgotten) {
    run(session.join("realm1"));
    int calls = 0;
    run(session.provide("com.example.p", [&](const Invocation&) {
        ++calls;
        return Result{};
    }));
    router->deliver(wamp::Invocation{1, 100, {}, {}});
    settle();
    EXPECT_EQ(calls, 1);
    router->deliver(wamp::Unregistered{0, wamp::Object{{"registration", 100}, {"reason", "gone"}}});
    router->deliver(wamp::Invocation{2, 100, {}, {}});
    settle();
    EXPECT_EQ(calls, 1);
    auto* error = std::get_if<wamp::Error>(&router->sent.back());
    ASSERT_NE(error, nullptr);
    EXPECT_EQ(error->request, 2u);
    EXPECT_EQ(error->error, wamp::errors::no_such_registration);
}

TEST_F(ClientRevocation, ARevokedSubscriptionGetsNoMoreEvents) {
    run(session.join("realm1"));
    int events = 0;
    run(session.subscribe("com.example.t", [&](const Event&) { ++events; }));
    router->deliver(wamp::Event{200, 1, {}, {}});
    settle();
    EXPECT_EQ(events, 1);
    router->deliver(wamp::Unsubscribed{0, wamp::Object{{"subscription", 200}, {"reason", "gone"}}});
    router->deliver(wamp::Event{200, 2, {}, {}});
    settle();
    EXPECT_EQ(events, 1);
}

} // namespace
} // namespace nexus::client
