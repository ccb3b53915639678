// WAMP over batched WebSocket (advanced/transport_batched_websocket.md): the
// framing on its own, then sessions against Boost.Beast's client on both of
// the server's data paths (Beast's, when the client offers permessage-deflate,
// and our own framing otherwise).
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
#include "transport/net/websocket_batch.hpp"

using namespace nexus;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using asio::ip::tcp;
using wamp::Format;

namespace {

using Parts = std::vector<std::string_view>;

Parts split_ok(Format f, std::string_view batch, char& separator) {
    auto parts = transport::batch::split(f, batch, separator);
    EXPECT_TRUE(parts.ok()) << (parts.ok() ? "" : parts.error().message);
    return parts.ok() ? *parts : Parts{};
}

std::string failure(Format f, std::string_view batch) {
    char separator = transport::batch::spec_separator;
    auto parts = transport::batch::split(f, batch, separator);
    return parts.ok() ? "" : parts.error().message;
}

std::string prefixed(std::string_view message) {
    const auto n = static_cast<std::uint32_t>(message.size());
    std::string out{static_cast<char>(n >> 24), static_cast<char>(n >> 16 & 0xff),
                    static_cast<char>(n >> 8 & 0xff), static_cast<char>(n & 0xff)};
    return out.append(message);
}

} // namespace

TEST(WebSocketBatch, JsonSplitsAtEitherRecordSeparator) {
    char separator = transport::batch::spec_separator;
    EXPECT_EQ(split_ok(Format::json, "[1]\x1e[2,{}]\x1e", separator), (Parts{"[1]", "[2,{}]"}));
    EXPECT_EQ(separator, '\x1e');
    // autobahn-python writes b'\30' (0x18): answered in kind.
    EXPECT_EQ(split_ok(Format::json, "[1]\x18", separator), (Parts{"[1]"}));
    EXPECT_EQ(separator, '\x18');
    EXPECT_NE(failure(Format::json, "").find("without any message"), std::string::npos);
    EXPECT_NE(failure(Format::json, "[1]").find("record separator"), std::string::npos);
    EXPECT_NE(failure(Format::json, "[1]\x1e[2]").find("record separator"), std::string::npos);
    EXPECT_NE(failure(Format::json, "\x1e").find("empty message"), std::string::npos);
    EXPECT_NE(failure(Format::json, "[1]\x1e\x1e").find("empty message"), std::string::npos);
}

TEST(WebSocketBatch, BinaryFormatsAreLengthPrefixed) {
    char separator = transport::batch::spec_separator;
    const std::string big(70000, 'x');
    const std::string batch = prefixed("ab") + prefixed(big) + prefixed("c");
    for (Format f : {Format::msgpack, Format::cbor})
        EXPECT_EQ(split_ok(f, batch, separator), (Parts{"ab", big, "c"}));
    EXPECT_NE(failure(Format::msgpack, "").find("without any message"), std::string::npos);
    EXPECT_NE(failure(Format::msgpack, std::string("\0\0\0", 3)).find("cut short"),
              std::string::npos);
    EXPECT_NE(failure(Format::cbor, std::string("\0\0\0\0", 4)).find("empty message"),
              std::string::npos);
    EXPECT_NE(failure(Format::msgpack, std::string("\0\0\0\x05"
                                                   "abc",
                                                   7))
                  .find("5 bytes"),
              std::string::npos);

    const auto f = transport::batch::framing(Format::msgpack, 70000, '\x1e');
    EXPECT_EQ(f.before(), std::string_view("\0\x01\x11\x70", 4));
    EXPECT_EQ(f.after(), "");
    const auto j = transport::batch::framing(Format::json, 5, '\x18');
    EXPECT_EQ(j.before(), "");
    EXPECT_EQ(j.after(), "\x18");
}

namespace {

class BatchedWebSocket : public ::testing::TestWithParam<bool> {
protected:
    BatchedWebSocket()
        : work_(io_.get_executor()),
          router_(io_.get_executor(), nexus::test::RouterFixture::default_config()) {
        transport::WebSocketOptions o;
        o.address = "127.0.0.1:0";
        o.enable_compression = true;
        server_ = std::make_unique<transport::WebSocketServer>(io_.get_executor(), router_, o);
        server_->start();
        thread_ = std::thread([this] { io_.run(); });
    }
    ~BatchedWebSocket() override {
        server_->stop();
        router_.shutdown();
        work_.reset();
        io_.stop();
        thread_.join();
    }

    // A client on the data path of the test's parameter: offering
    // permessage-deflate keeps the connection on Beast's.
    std::unique_ptr<websocket::stream<tcp::socket>> open(const std::string& offer,
                                                         std::string* agreed = nullptr) {
        auto ws = std::make_unique<websocket::stream<tcp::socket>>(client_io_);
        ws->next_layer().connect({asio::ip::make_address("127.0.0.1"), server_->port()});
        if (GetParam()) {
            websocket::permessage_deflate pmd;
            pmd.client_enable = true;
            ws->set_option(pmd);
        }
        ws->set_option(websocket::stream_base::decorator([offer](websocket::request_type& req) {
            req.set(http::field::sec_websocket_protocol, offer);
        }));
        websocket::response_type res;
        ws->handshake(res, "127.0.0.1", "/ws");
        if (agreed) *agreed = std::string(res[http::field::sec_websocket_protocol]);
        ws->read_message_max(1 << 20);
        return ws;
    }

    static std::string batch(Format f, const std::vector<wamp::Message>& messages,
                             char separator = transport::batch::spec_separator) {
        std::string out;
        for (const auto& m : messages) {
            const std::string bytes = *serialize::encode(f, m);
            if (f == Format::json)
                out.append(bytes).push_back(separator);
            else
                out.append(prefixed(bytes));
        }
        return out;
    }

    static void send(websocket::stream<tcp::socket>& ws, Format f, const std::string& bytes) {
        ws.binary(f != Format::json);
        ws.write(asio::buffer(bytes));
    }

    // The messages of the next WebSocket message; `raw` gets its bytes.
    static std::vector<wamp::Message> receive(websocket::stream<tcp::socket>& ws, Format f,
                                              std::string* raw = nullptr) {
        beast::flat_buffer buffer;
        ws.read(buffer);
        const std::string bytes = beast::buffers_to_string(buffer.data());
        if (raw) *raw = bytes;
        EXPECT_EQ(ws.got_text(), f == Format::json);
        char separator = transport::batch::spec_separator;
        auto parts = transport::batch::split(f, bytes, separator);
        EXPECT_TRUE(parts.ok()) << (parts.ok() ? "" : parts.error().message);
        std::vector<wamp::Message> out;
        for (std::string_view part : parts.ok() ? *parts : Parts{}) {
            auto m = serialize::decode(f, part);
            EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().message);
            if (m.ok()) out.push_back(std::move(*m));
        }
        return out;
    }

    // The session ends: an ABORT (if anything) and the connection closes.
    static void expect_failed(websocket::stream<tcp::socket>& ws, Format f) {
        for (int i = 0; i < 10; ++i) {
            beast::flat_buffer buffer;
            beast::error_code ec;
            ws.read(buffer, ec);
            if (ec) return;
            char separator = transport::batch::spec_separator;
            const std::string bytes = beast::buffers_to_string(buffer.data());
            auto parts = transport::batch::split(f, bytes, separator); // slices of `bytes`
            ASSERT_TRUE(parts.ok());
            for (std::string_view part : *parts) {
                auto m = serialize::decode(f, part);
                ASSERT_TRUE(m.ok());
                EXPECT_TRUE(std::holds_alternative<wamp::Abort>(*m))
                    << wamp::message_name(wamp::message_type(*m));
            }
        }
        ADD_FAILURE() << "the connection stayed open";
    }

    asio::io_context io_;
    asio::executor_work_guard<asio::io_context::executor_type> work_;
    router::Router router_;
    std::unique_ptr<transport::WebSocketServer> server_;
    std::thread thread_;
    asio::io_context client_io_;
};

wamp::Hello hello() {
    return wamp::Hello{
        "realm1",
        {{"roles", wamp::Object{{"subscriber", wamp::Object{}}, {"publisher", wamp::Object{}}}}}};
}

} // namespace

TEST_P(BatchedWebSocket, EveryFormatBatchedBothWays) {
    for (Format f : wamp::all_formats) {
        SCOPED_TRACE(wamp::format_name(f));
        const std::string name = std::string(wamp::websocket_subprotocol(f)) + ".batched";
        std::string agreed;
        auto ws = open("wamp.2.unknown, " + name, &agreed);
        EXPECT_EQ(agreed, name);
        // A batch of one, answered with a batch of one.
        send(*ws, f, batch(f, {hello()}));
        std::string raw;
        auto welcome = receive(*ws, f, &raw);
        ASSERT_EQ(welcome.size(), 1u);
        EXPECT_TRUE(std::holds_alternative<wamp::Welcome>(welcome[0]));
        if (f == Format::json)
            EXPECT_EQ(raw.back(), '\x1e');
        else
            EXPECT_EQ(raw.size(), 4 + serialize::encode(f, welcome[0])->size());
        // Several messages in one batch, each handled in order.
        send(*ws, f,
             batch(f, {wamp::Subscribe{1, {}, "com.batch.a"}, wamp::Subscribe{2, {}, "com.batch.b"},
                       wamp::Publish{3, {{"acknowledge", true}}, "com.batch.a", {}}}));
        std::vector<wamp::MessageType> got;
        while (got.size() < 3)
            for (auto& m : receive(*ws, f))
                got.push_back(wamp::message_type(m));
        EXPECT_EQ(got, (std::vector<wamp::MessageType>{wamp::MessageType::subscribed,
                                                       wamp::MessageType::subscribed,
                                                       wamp::MessageType::published}));
        ws->close(websocket::close_code::normal);
    }
}

TEST_P(BatchedWebSocket, JsonAnswersWithTheSeparatorThePeerUsed) {
    auto ws = open("wamp.2.json.batched");
    send(*ws, Format::json, batch(Format::json, {hello()}, transport::batch::autobahn_separator));
    std::string raw;
    auto welcome = receive(*ws, Format::json, &raw);
    ASSERT_EQ(welcome.size(), 1u);
    EXPECT_EQ(raw.back(), transport::batch::autobahn_separator);
}

TEST_P(BatchedWebSocket, MalformedBatchesFailTheTransport) {
    const std::vector<std::pair<Format, std::string>> bad{
        {Format::json, ""},                                  // a batch of 0
        {Format::json, R"([1,"realm1",{}])"},                // no separator
        {Format::json, "\x1e"},                              // an empty message
        {Format::msgpack, ""},                               // a batch of 0
        {Format::msgpack, std::string("\0\0\0\x09\x93", 5)}, // cut short
        {Format::cbor, std::string("\0\0\0\0", 4)},          // an empty message
    };
    for (const auto& [f, bytes] : bad) {
        SCOPED_TRACE(std::string(wamp::format_name(f)) + " " + std::to_string(bytes.size()));
        auto ws = open(std::string(wamp::websocket_subprotocol(f)) + ".batched");
        send(*ws, f, bytes);
        expect_failed(*ws, f);
    }
    // Also after the session is established: a garbled batch ends it.
    auto ws = open("wamp.2.msgpack.batched");
    send(*ws, Format::msgpack, batch(Format::msgpack, {hello()}));
    ASSERT_EQ(receive(*ws, Format::msgpack).size(), 1u);
    send(*ws, Format::msgpack,
         batch(Format::msgpack, {wamp::Subscribe{1, {}, "com.batch.a"}}) + std::string(2, '\0'));
    expect_failed(*ws, Format::msgpack);
}

INSTANTIATE_TEST_SUITE_P(DataPaths, BatchedWebSocket, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Beast" : "OwnFraming"; });
