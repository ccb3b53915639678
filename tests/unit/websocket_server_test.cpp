// The WebSocket server against Boost.Beast's client.
#include <nexus/router/router.hpp>
#include <nexus/serialize/serializer.hpp>
#include <nexus/transport/websocket_server.hpp>

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <thread>

#include "support/router_fixture.hpp"

using namespace nexus;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using asio::ip::tcp;

namespace {

class WebSocket : public ::testing::Test {
protected:
    WebSocket()
        : work_(io_.get_executor()),
          router_(io_.get_executor(), nexus::test::RouterFixture::default_config()) {
        transport::WebSocketOptions o;
        o.address = "127.0.0.1:0";
        o.allow_origins = {"https://*.example.com"};
        o.enable_tracking_cookie = true;
        o.enable_compression = true;
        server_ = std::make_unique<transport::WebSocketServer>(io_.get_executor(), router_, o);
        server_->start();
        thread_ = std::thread([this] { io_.run(); });
    }
    ~WebSocket() override {
        server_->stop();
        router_.shutdown();
        work_.reset();
        io_.stop();
        thread_.join();
    }

    tcp::socket connect() {
        tcp::socket s(client_io_);
        s.connect({asio::ip::make_address("127.0.0.1"), server_->port()});
        return s;
    }

    // Upgrades with the given subprotocol offer; returns the handshake response.
    std::pair<beast::error_code, websocket::response_type>
    upgrade(websocket::stream<tcp::socket>& ws, const std::string& offer,
            const std::string& origin = "") {
        websocket::response_type res;
        ws.set_option(websocket::stream_base::decorator([&](websocket::request_type& req) {
            req.set(http::field::sec_websocket_protocol, offer);
            if (!origin.empty()) req.set(http::field::origin, origin);
        }));
        beast::error_code ec;
        ws.handshake(res, "127.0.0.1", "/ws", ec);
        return {ec, res};
    }

    asio::io_context io_;
    asio::executor_work_guard<asio::io_context::executor_type> work_;
    router::Router router_;
    std::unique_ptr<transport::WebSocketServer> server_;
    std::thread thread_;
    asio::io_context client_io_;
};

wamp::Hello hello() {
    return wamp::Hello{"realm1", {{"roles", wamp::Object{{"caller", wamp::Object{}}}}}};
}

} // namespace

TEST_F(WebSocket, ClientPreferenceDecidesTheSerializer) {
    websocket::stream<tcp::socket> ws(connect());
    auto [ec, res] = upgrade(ws, "wamp.2.unknown, wamp.2.msgpack, wamp.2.json");
    ASSERT_FALSE(ec) << ec.message();
    EXPECT_EQ(res[http::field::sec_websocket_protocol], "wamp.2.msgpack");
    EXPECT_NE(res[http::field::set_cookie].find("nexus-wamp-cookie="), std::string::npos);
}

TEST_F(WebSocket, SessionInEveryFormatWithTheRightFrameType) {
    for (wamp::Format f : wamp::all_formats) {
        websocket::stream<tcp::socket> ws(connect());
        auto [ec, res] = upgrade(ws, std::string(wamp::websocket_subprotocol(f)));
        ASSERT_FALSE(ec) << ec.message();
        ws.binary(f != wamp::Format::json);
        ws.write(asio::buffer(*serialize::encode(f, hello())));
        beast::flat_buffer buffer;
        ws.read(buffer);
        EXPECT_EQ(ws.got_text(), f == wamp::Format::json) << wamp::format_name(f);
        auto m = serialize::decode(f, beast::buffers_to_string(buffer.data()));
        ASSERT_TRUE(m.ok()) << m.error().message;
        EXPECT_TRUE(std::holds_alternative<wamp::Welcome>(*m));
    }
}

TEST_F(WebSocket, NoCommonSubprotocolIsRefusedWith400) {
    websocket::stream<tcp::socket> ws(connect());
    auto [ec, res] = upgrade(ws, "mqtt");
    EXPECT_TRUE(ec);
    EXPECT_EQ(res.result(), http::status::bad_request);
}

TEST_F(WebSocket, OriginsAreChecked) {
    {
        websocket::stream<tcp::socket> ws(connect());
        auto [ec, res] = upgrade(ws, "wamp.2.json", "https://evil.test");
        EXPECT_TRUE(ec);
        EXPECT_EQ(res.result(), http::status::forbidden);
    }
    websocket::stream<tcp::socket> ws(connect());
    auto [ec, res] = upgrade(ws, "wamp.2.json", "https://app.example.com");
    EXPECT_FALSE(ec) << ec.message();
}

TEST_F(WebSocket, PlainHttpGets426) {
    tcp::socket s = connect();
    http::request<http::empty_body> req{http::verb::get, "/ws", 11};
    req.set(http::field::host, "127.0.0.1");
    http::write(s, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(s, buffer, res);
    EXPECT_EQ(res.result(), http::status::upgrade_required);
}

// An upgrade request with a body is refused before the body is read (the
// limit is 0, not Beast's default 1 MiB), and the server goes on serving.
TEST_F(WebSocket, UpgradeRequestWithABodyGets413) {
    for (const bool chunked : {false, true}) {
        tcp::socket s = connect();
        http::request<http::string_body> req{http::verb::get, "/ws", 11};
        req.set(http::field::host, "127.0.0.1");
        req.set(http::field::upgrade, "websocket");
        req.set(http::field::connection, "upgrade");
        req.set(http::field::sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");
        req.set(http::field::sec_websocket_version, "13");
        req.set(http::field::sec_websocket_protocol, "wamp.2.json");
        req.body() = std::string(4000, 'b');
        if (chunked)
            req.chunked(true);
        else
            req.prepare_payload();
        beast::error_code ec;
        http::write(s, req, ec); // the server may close before taking it all
        beast::flat_buffer buffer;
        http::response<http::string_body> res;
        http::read(s, buffer, res, ec);
        EXPECT_FALSE(ec) << (chunked ? "chunked: " : "") << ec.message();
        EXPECT_EQ(res.result(), http::status::payload_too_large) << (chunked ? "chunked" : "");
    }
    websocket::stream<tcp::socket> ws(connect());
    auto [ec, res] = upgrade(ws, "wamp.2.json");
    EXPECT_FALSE(ec) << ec.message();
}

TEST_F(WebSocket, StopClosesConnectedClients) {
    websocket::stream<tcp::socket> ws(connect());
    ASSERT_FALSE(upgrade(ws, "wamp.2.json").first);
    ws.write(asio::buffer(*serialize::encode(wamp::Format::json, hello())));
    beast::flat_buffer buffer;
    ws.read(buffer); // WELCOME
    server_->stop();
    beast::error_code ec;
    buffer.clear();
    ws.read(buffer, ec);
    EXPECT_TRUE(ec);
}

// Thousands of EVENTs queued at once go out as thousands of WebSocket
// messages, complete and in order, in every frame type.
TEST_F(WebSocket, LargeBurstArrivesCompleteAndInOrder) {
    for (wamp::Format f : {wamp::Format::json, wamp::Format::msgpack}) {
        const std::string protocol(wamp::websocket_subprotocol(f));
        websocket::stream<tcp::socket> sub(connect()), pub(connect());
        for (auto* ws : {&sub, &pub}) {
            ASSERT_FALSE(upgrade(*ws, protocol).first);
            ws->binary(f != wamp::Format::json);
            ws->write(asio::buffer(*serialize::encode(
                f, wamp::Hello{"realm1",
                               {{"roles", wamp::Object{{"publisher", wamp::Object{}},
                                                       {"subscriber", wamp::Object{}}}}}})));
            beast::flat_buffer buffer;
            ws->read(buffer); // WELCOME
        }
        sub.write(asio::buffer(*serialize::encode(f, wamp::Subscribe{1, {}, "burst"})));
        beast::flat_buffer buffer;
        sub.read(buffer); // SUBSCRIBED

        constexpr int count = 3000;
        const std::string big(3000, 'b');
        int received = 0;
        std::thread reader([&] {
            for (; received < count; ++received) {
                beast::flat_buffer b;
                beast::error_code ec;
                sub.read(b, ec);
                if (ec) return;
                auto m = serialize::decode(f, beast::buffers_to_string(b.data()));
                if (!m.ok() || !std::holds_alternative<wamp::Event>(*m)) return;
                const auto args = std::get<wamp::Event>(*m).payload.args();
                if (args.at(0).as_int() != received ||
                    args.at(1).as_string() != (received % 100 == 0 ? big : "x"))
                    return;
            }
        });
        for (int i = 0; i < count; ++i)
            pub.write(asio::buffer(*serialize::encode(
                f, wamp::Publish{wamp::Id(i + 1),
                                 {},
                                 "burst",
                                 wamp::Payload(wamp::Array{i, i % 100 == 0 ? big : "x"})})));
        reader.join();
        EXPECT_EQ(received, count) << protocol;
    }
}
