// Client transports: URL parsing, and the failures async_connect reports
// (bad URL, refused connection, a peer that never completes the handshake,
// a WebSocket router without our subprotocol).
#include "support/client_fixture.hpp"

#include "client/transport/url.hpp"

#include <boost/asio/ip/tcp.hpp>

namespace nexus::test {
namespace {

using client::detail::parse_url;

TEST(ClientUrl, ParsesEveryScheme) {
    auto u = parse_url("ws://example.com:8080/ws");
    EXPECT_EQ(u.scheme, "ws");
    EXPECT_EQ(u.host, "example.com");
    EXPECT_EQ(u.port, "8080");
    EXPECT_EQ(u.path, "/ws");
    u = parse_url("WS://example.com");
    EXPECT_EQ(u.scheme, "ws");
    EXPECT_EQ(u.port, "80");
    EXPECT_EQ(u.path, "/");
    u = parse_url("tcp://[::1]:8081");
    EXPECT_EQ(u.host, "::1");
    EXPECT_EQ(u.port, "8081");
    u = parse_url("unix:///run/nexus.sock");
    EXPECT_EQ(u.path, "/run/nexus.sock");
    for (const char* bad :
         {"nonsense", "tcp://host", "tcp://:80", "tcp://h:8x", "tcp://[::1", "unix://", "ws://"})
        EXPECT_THROW(parse_url(bad), client::TransportError) << bad;
}

std::string connect_error(ClientHarness& h, std::string url, client::ConnectOptions options = {}) {
    try {
        h.run(client::async_connect(h.executor(), std::move(url), options));
        return "connected";
    } catch (const client::TransportError& e) {
        return e.what();
    }
}

TEST(ClientConnect, ReportsWhatWentWrong) {
    ClientHarness h;
    EXPECT_NE(connect_error(h, "http://127.0.0.1:1").find("unsupported transport URL scheme"),
              std::string::npos);
    EXPECT_NE(connect_error(h, "tcp://127.0.0.1").find("no port"), std::string::npos);

    // A port nobody listens on (bound, then closed).
    asio::io_context io;
    asio::ip::tcp::acceptor probe(io, {asio::ip::make_address("127.0.0.1"), 0});
    const auto port = std::to_string(probe.local_endpoint().port());
    probe.close();
    EXPECT_NE(connect_error(h, "tcp://127.0.0.1:" + port).find("refused"), std::string::npos);
    EXPECT_NE(connect_error(h, "ws://127.0.0.1:" + port + "/").find("refused"), std::string::npos);
    EXPECT_NE(connect_error(h, "unix:///tmp/nexus-no-such-socket").find("unix://"),
              std::string::npos);
}

TEST(ClientConnect, TimesOutOnASilentPeer) {
    ClientHarness h;
    // Accepts TCP connections and never says a word.
    asio::io_context io;
    asio::ip::tcp::acceptor silent(io, {asio::ip::make_address("127.0.0.1"), 0});
    const auto port = std::to_string(silent.local_endpoint().port());
    client::ConnectOptions options;
    options.timeout = 200ms;
    const auto started = std::chrono::steady_clock::now();
    EXPECT_NE(connect_error(h, "tcp://127.0.0.1:" + port, options).find("timed out"),
              std::string::npos);
    EXPECT_NE(connect_error(h, "ws://127.0.0.1:" + port + "/", options).find("timed out"),
              std::string::npos);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
}

TEST(ClientConnect, WebSocketWithoutOurSubprotocolFails) {
    router::RouterConfig config = ClientHarness::default_config();
    asio::io_context io;
    router::Router router(io.get_executor(), config);
    transport::WebSocketOptions o;
    o.address = "127.0.0.1:0";
    o.formats = {wamp::Format::msgpack};
    transport::WebSocketServer server(io.get_executor(), router, o);
    server.start();
    std::thread t([&] { io.run_for(5s); });
    ClientHarness h;
    client::ConnectOptions json;
    json.format = wamp::Format::json;
    const auto url = "ws://127.0.0.1:" + std::to_string(server.port()) + "/ws";
    EXPECT_NE(connect_error(h, url, json), "connected");
    client::ConnectOptions msgpack;
    msgpack.format = wamp::Format::msgpack;
    EXPECT_EQ(connect_error(h, url, msgpack), "connected");
    server.stop();
    io.stop();
    t.join();
}

TEST(ClientConnect, TransportReportsKindAndFormat) {
    ClientHarness h;
    auto local = h.connect({"local"});
    EXPECT_EQ(local->kind(), "local");
    EXPECT_FALSE(local->format());
    auto raw = h.connect({"tcp", wamp::Format::cbor});
    EXPECT_EQ(raw->kind(), "rawsocket");
    EXPECT_EQ(raw->format(), wamp::Format::cbor);
    EXPECT_TRUE(raw->is_open());
    raw->close();
    EXPECT_FALSE(raw->is_open());
    auto ws = h.connect({"ws", wamp::Format::msgpack});
    EXPECT_EQ(ws->kind(), "websocket");
    EXPECT_EQ(ws->format(), wamp::Format::msgpack);
    ws->close();
}

} // namespace
} // namespace nexus::test
