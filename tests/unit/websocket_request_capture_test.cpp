// WebSocketOptions::capture_request (nexusd websocket.enable_request_capture):
// the dynamic authenticator's details.transport carries the upgrade
// request's headers and path, so a backend can authenticate by them.
#include "support/net_fault.hpp"

namespace nexus::test {
namespace {

using wamp::Value;

NetRouter::Options capture_options(bool capture) {
    NetRouter::Options o = NetRouter::defaults();
    if (capture) o.websocket.capture_request = true; // else the default, which must be off
    o.router.realms[0].dynamic_authenticator = router::DynamicAuthenticatorConfig{
        "com.auth.authenticate", {"ticket"}, std::chrono::milliseconds(2000)};
    return o;
}

// A WebSocket client with an API key header asks for ticket authentication;
// returns the details the backend's authenticate procedure was called with,
// after letting the client in.
wamp::Object authenticate_over_websocket(NetRouter& net) {
    RawClient backend(net.raw_port()); // anonymous, as every backend of the realm
    EXPECT_NE(backend.join(), 0u);
    backend.send(wamp::Register{backend.next_request(), {}, "com.auth.authenticate"});
    backend.expect<wamp::Registered>();

    WsClient client(net.ws_port());
    EXPECT_TRUE(
        client.upgrade("wamp.2.json", {{"X-Api-Key", "k1"}, {"X-Trace", "a"}, {"X-Trace", "b"}}));
    wamp::Hello hello = hello_with_roles();
    hello.details.insert_or_assign("authmethods", Value(wamp::Array{Value("ticket")}));
    hello.details.insert_or_assign("authid", Value("joe"));
    client.send(hello);
    client.expect<wamp::Challenge>();
    client.send(wamp::Authenticate{"joe's ticket", {}});

    auto invocation = backend.expect<wamp::Invocation>();
    backend.send(wamp::Yield{invocation.request, {}, wamp::Payload(wamp::Array{Value("user")})});
    auto welcome = client.expect<wamp::Welcome>();
    EXPECT_EQ(welcome.details.at("authid"), Value("joe"));
    const auto& args = invocation.payload.args();
    if (args.size() < 3 || !args[2].if_object()) {
        ADD_FAILURE() << "authenticate called without details";
        return {};
    }
    return *args[2].if_object();
}

TEST(WebSocketRequestCapture, TheBackendSeesTheUpgradeRequest) {
    NetRouter net(capture_options(true));
    const wamp::Object details = authenticate_over_websocket(net);
    const wamp::Object& transport = *details.at("transport").if_object();
    EXPECT_EQ(transport.at("type"), Value("websocket"));
    EXPECT_EQ(transport.at("http_path"), Value("/ws"));
    const wamp::Object& headers = *transport.at("http_headers_received").if_object();
    EXPECT_EQ(headers.at("x-api-key"), Value("k1"));
    EXPECT_EQ(headers.at("x-trace"), Value("a, b"));
    EXPECT_EQ(headers.at("sec-websocket-protocol"), Value("wamp.2.json"));
    EXPECT_EQ(headers.at("host"), Value("127.0.0.1"));
}

TEST(WebSocketRequestCapture, OffByDefault) {
    NetRouter net(capture_options(false));
    const wamp::Object details = authenticate_over_websocket(net);
    const wamp::Object& transport = *details.at("transport").if_object();
    EXPECT_EQ(transport.at("type"), Value("websocket"));
    EXPECT_EQ(transport.count("http_headers_received"), 0u);
    EXPECT_EQ(transport.count("http_path"), 0u);
}

// Other sessions learn nothing of the request: wamp.session.get shows type,
// protocol and peer only.
TEST(WebSocketRequestCapture, MetaApiDoesNotShowTheHeaders) {
    NetRouter net(capture_options(true));
    WsClient client(net.ws_port());
    ASSERT_TRUE(client.upgrade("wamp.2.json", {{"X-Api-Key", "k1"}}));
    client.send(hello_with_roles());
    const wamp::Id id = client.expect<wamp::Welcome>().session;
    RawClient other(net.raw_port());
    ASSERT_NE(other.join(), 0u);
    auto result = other.call("wamp.session.get", wamp::Payload(wamp::Array{Value(id)}));
    ASSERT_TRUE(result && std::holds_alternative<wamp::Result>(*result)) << describe(result);
    const wamp::Value session = std::get<wamp::Result>(*result).payload.args().at(0);
    const wamp::Object& transport = *session.as_object().at("transport").if_object();
    EXPECT_EQ(transport.count("http_headers_received"), 0u);
    EXPECT_EQ(transport.count("http_path"), 0u);
}

} // namespace
} // namespace nexus::test
