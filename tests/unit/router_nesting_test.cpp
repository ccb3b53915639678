// The router never sends a message its peers' decoders refuse for nesting
// too deeply, where it puts a client's values deeper than the client sent
// them (found by fuzz/router_fuzz, whose check decodes everything the router
// sends: a HELLO with details nested to the limit made every
// wamp.session.on_join subscriber receive an undecodable EVENT).
#include "support/router_fixture.hpp"

#include <nexus/serialize/serializer.hpp>

using namespace nexus;
using namespace nexus::test;
using wamp::Array;
using wamp::Payload;
using wamp::Value;

namespace {

// A list nested `depth` levels deep ([] is 1, [[]] is 2).
Value nested(std::size_t depth) {
    Value v = Value(Array{});
    for (std::size_t i = 1; i < depth; ++i)
        v = Value(Array{v});
    return v;
}

// What a peer with the default decoder limits makes of `m`, in every format.
void expect_decodable(const wamp::Message& m) {
    for (wamp::Format f : wamp::all_formats) {
        auto bytes = serialize::encode(f, m);
        ASSERT_TRUE(bytes.ok()) << wamp::format_name(f);
        auto back = serialize::decode(f, *bytes);
        EXPECT_TRUE(back.ok()) << wamp::format_name(f) << ": "
                               << (back.ok() ? "" : back.error().message);
    }
}

router::RouterConfig history_config() {
    router::RouterConfig config = RouterFixture::default_config();
    config.realms[0].event_history.push_back({"com.hist", wamp::MatchPolicy::exact, 10});
    return config;
}

class Nesting : public RouterFixture {
protected:
    Nesting() : RouterFixture(history_config()) {}
};

} // namespace

TEST_F(Nesting, HelloDetailsNestedTooDeeplyForTheMetaApiAreRefused) {
    TestClient& watcher = joined();
    watcher.send(wamp::Subscribe{watcher.next_request(), {}, "wamp.session.on_join"});
    watcher.expect<wamp::Subscribed>();

    // [1, Realm, {"x": ...}]: the deepest HELLO the decoders take has x 62
    // levels deep (64 in all); the on_join EVENT would carry it at 65.
    TestClient& deep = client();
    auto hello = TestClient::hello("realm1", {{"x", nested(62)}});
    auto hello_bytes = serialize::encode(wamp::Format::json, hello);
    ASSERT_TRUE(hello_bytes.ok());
    ASSERT_TRUE(serialize::decode(wamp::Format::json, *hello_bytes).ok()); // a valid HELLO
    deep.send(hello);
    auto abort = deep.expect<wamp::Abort>();
    EXPECT_EQ(abort.reason, wamp::errors::invalid_argument);
    EXPECT_TRUE(watcher.nothing_for());

    // One level less still joins, and the EVENT about it decodes.
    TestClient& ok = client();
    ok.send(TestClient::hello("realm1", {{"x", nested(61)}}));
    ok.expect<wamp::Welcome>();
    auto event = watcher.expect<wamp::Event>();
    expect_decodable(event);
}

TEST_F(Nesting, EventHistoryLeavesOutEventsTooDeepToReturn) {
    TestClient& sub = joined();
    TestClient& pub = joined();
    sub.send(wamp::Subscribe{sub.next_request(), {}, "com.hist"});
    const wamp::Id sid = sub.expect<wamp::Subscribed>().subscription;

    // [16, Request, {}, "com.hist", Args]: Args 63 levels deep is the most a
    // decoder takes; in the history's [50, Request, {}, [[{"args": Args}]]]
    // it would be 67.
    wamp::Publish deep{pub.next_request(), {}, "com.hist", Payload(Array{nested(62)})};
    expect_decodable(deep);
    pub.send(deep);
    pub.send(wamp::Publish{pub.next_request(), {}, "com.hist", Payload(Array{1})});
    sub.expect<wamp::Event>();
    sub.expect<wamp::Event>();

    sub.send(
        wamp::Call{sub.next_request(), {}, "wamp.subscription.get_events", Payload(Array{sid})});
    auto result = sub.expect<wamp::Result>();
    expect_decodable(result);
    const Value events = result.payload.args().at(0);
    ASSERT_EQ(events.as_array().size(), 1u);
    EXPECT_EQ(events.at(0).at("args"), Value{1});
}
