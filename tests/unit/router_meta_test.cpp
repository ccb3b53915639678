// The router's own wamp.* procedures: meta API queries and event history.
#include "support/router_fixture.hpp"

using namespace nexus;
using namespace nexus::test;
using wamp::Array;
using wamp::Object;
using wamp::Payload;
using wamp::Value;

namespace {

router::RouterConfig history_config() {
    router::RouterConfig config = RouterFixture::default_config();
    config.realms[0].event_history.push_back({"com.hist", wamp::MatchPolicy::prefix, 3});
    return config;
}

class Meta : public RouterFixture {
protected:
    Meta() : RouterFixture(history_config()) {}

    // Calls a meta procedure; returns its first result, or the error URI as a string.
    Value meta(TestClient& c, const std::string& proc, Array args = {}, Object kwargs = {}) {
        const wamp::Id req = c.next_request();
        c.send(wamp::Call{req, {}, proc, Payload(std::move(args), std::move(kwargs))});
        auto m = c.next();
        if (!m) return Value("timeout");
        if (auto* e = std::get_if<wamp::Error>(&*m)) return Value("error:" + e->error);
        auto& r = std::get<wamp::Result>(*m);
        EXPECT_EQ(r.request, req);
        auto a = r.payload.args();
        return a.empty() ? Value() : a[0];
    }
};

} // namespace

TEST_F(Meta, Sessions) {
    TestClient& a = joined();
    TestClient& b = joined();
    EXPECT_EQ(meta(a, "wamp.session.count"), Value(2));
    EXPECT_EQ(meta(a, "wamp.session.count", {Value{"admin"}}), Value(0));
    const Value list = meta(a, "wamp.session.list");
    ASSERT_TRUE(list.is_array());
    EXPECT_EQ(list.as_array().size(), 2u);
    const Value details = meta(a, "wamp.session.get", {b.session()});
    EXPECT_EQ(details.at("session"), Value(b.session()));
    EXPECT_EQ(details.at("authmethod"), Value("anonymous"));
    EXPECT_EQ(details.at("transport").at("type"), Value("local"));
    EXPECT_EQ(meta(a, "wamp.session.get", {12345}),
              Value("error:" + std::string(wamp::errors::no_such_session)));
    EXPECT_EQ(meta(a, "wamp.session.get", {"x"}),
              Value("error:" + std::string(wamp::errors::invalid_argument)));
}

TEST_F(Meta, Registrations) {
    TestClient& callee = joined();
    TestClient& c = joined();
    callee.send(wamp::Register{callee.next_request(), {{"match", "prefix"}}, "com.app"});
    const wamp::Id reg = callee.expect<wamp::Registered>().registration;
    EXPECT_EQ(meta(c, "wamp.registration.lookup", {"com.app", Value{{"match", "prefix"}}}),
              Value(reg));
    EXPECT_EQ(meta(c, "wamp.registration.lookup", {"com.app"}), Value());
    EXPECT_EQ(meta(c, "wamp.registration.match", {"com.app.x"}), Value(reg));
    EXPECT_EQ(meta(c, "wamp.registration.list").at("prefix"), Value{reg});
    const Value info = meta(c, "wamp.registration.get", {reg});
    EXPECT_EQ(info.at("uri"), Value("com.app"));
    EXPECT_EQ(info.at("match"), Value("prefix"));
    EXPECT_EQ(info.at("invoke"), Value("single"));
    EXPECT_EQ(meta(c, "wamp.registration.list_callees", {reg}), Value{callee.session()});
    EXPECT_EQ(meta(c, "wamp.registration.count_callees", {reg}), Value(1));
    EXPECT_EQ(meta(c, "wamp.registration.get", {999}),
              Value("error:" + std::string(wamp::errors::no_such_registration)));
}

TEST_F(Meta, Subscriptions) {
    TestClient& sub = joined();
    TestClient& c = joined();
    sub.send(wamp::Subscribe{sub.next_request(), {}, "com.t"});
    const wamp::Id sid = sub.expect<wamp::Subscribed>().subscription;
    EXPECT_EQ(meta(c, "wamp.subscription.lookup", {"com.t"}), Value(sid));
    EXPECT_EQ(meta(c, "wamp.subscription.match", {"com.t"}), Value{sid});
    EXPECT_EQ(meta(c, "wamp.subscription.match", {"com.none"}), Value());
    EXPECT_EQ(meta(c, "wamp.subscription.get", {sid}).at("uri"), Value("com.t"));
    EXPECT_EQ(meta(c, "wamp.subscription.list_subscribers", {sid}), Value{sub.session()});
    EXPECT_EQ(meta(c, "wamp.subscription.count_subscribers", {sid}), Value(1));
    EXPECT_EQ(meta(c, "wamp.subscription.count_suscribers", {sid}), Value(1)); // Go nexus alias
}

TEST_F(Meta, EventHistory) {
    TestClient& sub = joined();
    TestClient& pub = joined();
    sub.send(wamp::Subscribe{sub.next_request(), {{"match", "prefix"}}, "com.hist"});
    const wamp::Id sid = sub.expect<wamp::Subscribed>().subscription;
    for (int i = 0; i < 5; ++i)
        pub.send(wamp::Publish{pub.next_request(), {}, "com.hist.a", Payload(Array{i})});
    // Published with a session blacklist: not stored (spec).
    pub.send(wamp::Publish{
        pub.next_request(), {{"exclude", Value{12345}}}, "com.hist.a", Payload(Array{99})});
    for (int i = 0; i < 6; ++i)
        sub.expect<wamp::Event>();

    const Value all = meta(sub, "wamp.subscription.get_events", {sid});
    ASSERT_TRUE(all.is_array()) << all;
    ASSERT_EQ(all.as_array().size(), 3u); // the limit keeps the last three
    EXPECT_EQ(all.at(0).at("args"), Value{2});
    EXPECT_EQ(all.at(2).at("args"), Value{4});
    EXPECT_EQ(all.at(0).at("topic"), Value("com.hist.a"));
    EXPECT_TRUE(all.at(0).at("timestamp").is_string());

    const Value last =
        meta(sub, "wamp.subscription.get_events", {sid}, {{"reverse", true}, {"limit", 1}});
    ASSERT_EQ(last.as_array().size(), 1u);
    EXPECT_EQ(last.at(0).at("args"), Value{4});
    EXPECT_EQ(meta(sub, "wamp.subscription.get_events", {sid}, {{"limit", 0}}),
              Value("error:" + std::string(wamp::errors::invalid_argument)));
    EXPECT_EQ(meta(sub, "wamp.subscription.get_events", {424242}),
              Value("error:" + std::string(wamp::errors::no_such_subscription)));
}

TEST_F(Meta, UnknownMetaProcedure) {
    TestClient& c = joined();
    EXPECT_EQ(meta(c, "wamp.nothing.here"),
              Value("error:" + std::string(wamp::errors::no_such_procedure)));
}
