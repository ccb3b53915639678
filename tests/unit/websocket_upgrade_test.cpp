// The WebSocket server's decision on an upgrade request
// (src/transport/net/websocket_upgrade.hpp), without a socket.
#include <gtest/gtest.h>

#include <boost/beast/http/parser.hpp>

#include "transport/net/websocket_upgrade.hpp"

using namespace nexus;
namespace http = boost::beast::http;
namespace upgrade = nexus::transport::upgrade;

namespace {

upgrade::Request parse(std::string_view text) {
    http::request_parser<http::string_body> parser;
    parser.eager(true);
    boost::beast::error_code ec;
    parser.put(boost::asio::buffer(text.data(), text.size()), ec);
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_TRUE(parser.is_done());
    return parser.release();
}

std::string request(std::string_view target, std::string_view extra_headers) {
    return "GET " + std::string(target) +
           " HTTP/1.1\r\n"
           "Host: localhost:8080\r\n"
           "Upgrade: websocket\r\n"
           "Connection: Upgrade\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
           "Sec-WebSocket-Version: 13\r\n" +
           std::string(extra_headers) + "\r\n";
}

} // namespace

TEST(WebSocketUpgrade, ClientOrderDecidesTheSubprotocol) {
    transport::WebSocketOptions o;
    auto d = upgrade::decide(
        parse(request("/ws", "Sec-WebSocket-Protocol: wamp.2.cbor, wamp.2.json\r\n")), o);
    ASSERT_TRUE(std::holds_alternative<upgrade::Accept>(d));
    EXPECT_EQ(std::get<upgrade::Accept>(d).format, wamp::Format::cbor);
    EXPECT_TRUE(std::get<upgrade::Accept>(d).cookie.empty());

    o.formats = {wamp::Format::json};
    d = upgrade::decide(
        parse(request("/?x=1", "Sec-WebSocket-Protocol: wamp.2.cbor , wamp.2.json\r\n")), o);
    ASSERT_TRUE(std::holds_alternative<upgrade::Accept>(d));
    EXPECT_EQ(std::get<upgrade::Accept>(d).format, wamp::Format::json);

    d = upgrade::decide(parse(request("/ws", "Sec-WebSocket-Protocol: wamp.2.msgpack\r\n")), o);
    ASSERT_TRUE(std::holds_alternative<upgrade::Refuse>(d));
    EXPECT_EQ(std::get<upgrade::Refuse>(d).status, http::status::bad_request);
    EXPECT_NE(std::get<upgrade::Refuse>(d).reason.find("wamp.2.json"), std::string::npos);
}

TEST(WebSocketUpgrade, PathUpgradeAndOriginChecks) {
    transport::WebSocketOptions o;
    o.allow_origins = {"https://*.example.com"};
    const std::string proto = "Sec-WebSocket-Protocol: wamp.2.json\r\n";

    auto d = upgrade::decide(parse(request("/other", proto)), o);
    ASSERT_TRUE(std::holds_alternative<upgrade::Refuse>(d));
    EXPECT_EQ(std::get<upgrade::Refuse>(d).status, http::status::not_found);

    d = upgrade::decide(parse("GET /ws HTTP/1.1\r\nHost: x\r\n\r\n"), o);
    ASSERT_TRUE(std::holds_alternative<upgrade::Refuse>(d));
    EXPECT_EQ(std::get<upgrade::Refuse>(d).status, http::status::upgrade_required);

    d = upgrade::decide(parse(request("/ws", proto + "Origin: https://evil.com\r\n")), o);
    ASSERT_TRUE(std::holds_alternative<upgrade::Refuse>(d));
    EXPECT_EQ(std::get<upgrade::Refuse>(d).status, http::status::forbidden);

    d = upgrade::decide(parse(request("/ws", proto + "Origin: https://app.EXAMPLE.com\r\n")), o);
    EXPECT_TRUE(std::holds_alternative<upgrade::Accept>(d));
    d = upgrade::decide(parse(request("/ws", proto)), o); // no Origin: not a browser
    EXPECT_TRUE(std::holds_alternative<upgrade::Accept>(d));
}

TEST(WebSocketUpgrade, TrackingCookie) {
    transport::WebSocketOptions o;
    o.enable_tracking_cookie = true;
    const std::string proto = "Sec-WebSocket-Protocol: wamp.2.json\r\n";

    auto d = upgrade::decide(parse(request("/ws", proto)), o);
    ASSERT_TRUE(std::holds_alternative<upgrade::Accept>(d));
    EXPECT_TRUE(std::get<upgrade::Accept>(d).new_cookie);
    EXPECT_FALSE(std::get<upgrade::Accept>(d).cookie.empty());

    d = upgrade::decide(
        parse(request("/ws", proto + "Cookie: a=b; nexus-wamp-cookie=12345 ; c=d\r\n")), o);
    ASSERT_TRUE(std::holds_alternative<upgrade::Accept>(d));
    EXPECT_FALSE(std::get<upgrade::Accept>(d).new_cookie);
    EXPECT_EQ(std::get<upgrade::Accept>(d).cookie, "12345");
}

TEST(WebSocketUpgrade, Pieces) {
    EXPECT_TRUE(upgrade::glob_match("*", ""));
    EXPECT_TRUE(upgrade::glob_match("a*b*c", "aXXbYYc"));
    EXPECT_FALSE(upgrade::glob_match("a*b*c", "aXXbYY"));
    EXPECT_TRUE(upgrade::glob_match("HTTP://LOCALHOST:*", "http://localhost:3000"));
    EXPECT_FALSE(upgrade::glob_match("", "x"));

    const std::vector<wamp::Format> all(std::begin(wamp::all_formats), std::end(wamp::all_formats));
    EXPECT_EQ(upgrade::negotiate("", all), std::nullopt);
    EXPECT_EQ(upgrade::negotiate(",,", all), std::nullopt);
    using upgrade::Subprotocol;
    EXPECT_EQ(upgrade::negotiate("x, wamp.2.msgpack", all), (Subprotocol{wamp::Format::msgpack}));
    EXPECT_EQ(upgrade::negotiate("wamp.2.msgpack.batched, wamp.2.json", all),
              (Subprotocol{wamp::Format::msgpack, true}));
    EXPECT_EQ(upgrade::negotiate("wamp.2.json.batched", {wamp::Format::cbor}), std::nullopt);
    EXPECT_EQ(upgrade::negotiate("wamp.2.cbor.batched.batched, .batched", all), std::nullopt);
    EXPECT_EQ((Subprotocol{wamp::Format::cbor, true}.name()), "wamp.2.cbor.batched");

    EXPECT_EQ(upgrade::cookie_value("nexus-wamp-cookie="), "");
    EXPECT_EQ(upgrade::cookie_value("nexus-wamp-cookieX=1"), "");
    EXPECT_EQ(upgrade::cookie_value("x=1;nexus-wamp-cookie=v"), "v");
}
