// CallOptions and PublishOptions given with or without arguments, in every
// combination, without `{}` placeholders for the parts left out.
#include "support/client_fixture.hpp"

#include <mutex>

namespace nexus::test {
namespace {

using client::CallOptions;
using client::CallResult;
using client::Event;
using client::Invocation;
using client::PublishOptions;
using client::Result;

class ClientOptions : public ::testing::Test {
protected:
    ClientHarness h;
    TransportCase local{"local"};
};

TEST_F(ClientOptions, CallTakesOptionsWithOrWithoutArguments) {
    client::Session& callee = h.joined(local);
    client::Session& caller = h.joined(local);
    // Echoes what came, and whether the caller was disclosed.
    auto echo = [](const Invocation& inv) {
        wamp::Object kw = inv.kwargs();
        kw.emplace("disclosed", inv.caller().has_value());
        return Result{inv.args(), kw};
    };
    h.run(callee.provide("com.example.echo", echo));
    CallOptions disclose;
    disclose.disclose_me = true;
    const wamp::Array args{1, "two"};
    const wamp::Object kwargs{{"k", 3}};

    CallResult r = h.run(caller.call("com.example.echo", disclose));
    EXPECT_TRUE(r.args.empty());
    EXPECT_EQ(r.kwargs, (wamp::Object{{"disclosed", true}}));

    r = h.run(caller.call("com.example.echo", args, disclose));
    EXPECT_EQ(r.args, args);
    EXPECT_EQ(r.kwargs, (wamp::Object{{"disclosed", true}}));

    r = h.run(caller.call("com.example.echo", kwargs));
    EXPECT_TRUE(r.args.empty());
    EXPECT_EQ(r.kwargs, (wamp::Object{{"disclosed", false}, {"k", 3}}));

    r = h.run(caller.call("com.example.echo", kwargs, disclose));
    EXPECT_EQ(r.kwargs, (wamp::Object{{"disclosed", true}, {"k", 3}}));

    // The options may be a temporary, and a completion token may follow.
    auto future = caller.call("com.example.echo", args, CallOptions(disclose), asio::use_future);
    EXPECT_EQ(future.get().args, args);
    // The positional form is unchanged.
    r = h.run(caller.call("com.example.echo", args, kwargs, disclose));
    EXPECT_EQ(r.kwargs, (wamp::Object{{"disclosed", true}, {"k", 3}}));
}

TEST_F(ClientOptions, PublishTakesOptionsWithOrWithoutArguments) {
    client::Session& session = h.joined(local);
    std::mutex mutex;
    std::vector<Event> seen;
    auto collect = [&](const Event& e) {
        std::lock_guard lock(mutex);
        seen.push_back(e);
    };
    h.run(session.subscribe("com.example.topic", collect));
    // exclude_me = false: our own publications come back to us; acknowledged
    // publications complete with their id.
    PublishOptions mine;
    mine.exclude_me = false;
    mine.acknowledge = true;
    const wamp::Array args{1};
    const wamp::Object kwargs{{"k", 2}};
    EXPECT_TRUE(h.run(session.publish("com.example.topic", mine)).has_value());
    EXPECT_TRUE(h.run(session.publish("com.example.topic", args, mine)).has_value());
    EXPECT_TRUE(h.run(session.publish("com.example.topic", kwargs, mine)).has_value());
    // Without options, kwargs only: excluded from our own subscription.
    EXPECT_FALSE(h.run(session.publish("com.example.topic", kwargs)).has_value());
    ASSERT_TRUE(eventually([&] {
        std::lock_guard lock(mutex);
        return seen.size() >= 3;
    }));
    h.sync();
    std::lock_guard lock(mutex);
    ASSERT_EQ(seen.size(), 3u);
    EXPECT_TRUE(seen[0].args.empty());
    EXPECT_TRUE(seen[0].kwargs.empty());
    EXPECT_EQ(seen[1].args, args);
    EXPECT_TRUE(seen[1].kwargs.empty());
    EXPECT_TRUE(seen[2].args.empty());
    EXPECT_EQ(seen[2].kwargs, kwargs);
}

} // namespace
} // namespace nexus::test
