// Frames as the Go nexus client writes them, over RawSocket: a message with
// only keyword arguments carries null Arguments ([48, 1, {}, "p", null, {...}]).
// The router reads a null Arguments as an empty list and a null ArgumentsKw as
// an empty dict, in every serializer, instead of aborting the session.
#include <nexus/router/router.hpp>
#include <nexus/serialize/serializer.hpp>
#include <nexus/transport/rawsocket_server.hpp>

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <thread>

using namespace nexus;
namespace asio = boost::asio;
using asio::ip::tcp;
using wamp::Array;
using wamp::Format;
using wamp::Object;
using wamp::Value;

namespace {

router::RouterConfig config() {
    router::RouterConfig c;
    router::RealmConfig r;
    r.uri = "realm1";
    c.realms.push_back(r);
    return c;
}

// A blocking RawSocket peer that writes frames built from plain values, as a
// foreign client library would, and reads the router's answers as values.
class RawPeer {
public:
    RawPeer(asio::io_context& io, std::uint16_t port, Format format)
        : socket_(io), format_(format) {
        socket_.connect({asio::ip::make_address("127.0.0.1"), port});
        timeval tv{5, 0};
        setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        const std::uint8_t serializer = format == Format::json      ? 1
                                        : format == Format::msgpack ? 2
                                                                    : 3;
        const std::array<std::uint8_t, 4> hello{0x7f, std::uint8_t(0xf0 | serializer), 0, 0};
        asio::write(socket_, asio::buffer(hello));
        std::array<std::uint8_t, 4> reply{};
        asio::read(socket_, asio::buffer(reply));
        EXPECT_EQ(reply[0], 0x7f);
    }

    void send(const Array& message) {
        std::string body;
        ASSERT_TRUE(serialize::encode_value_into(format_, Value(message), body).ok());
        const std::size_t n = body.size();
        std::string frame{char(0), char(n >> 16), char(n >> 8), char(n)};
        asio::write(socket_, asio::buffer(frame + body));
    }

    Array receive() {
        std::array<std::uint8_t, 4> h{};
        boost::system::error_code ec;
        asio::read(socket_, asio::buffer(h), ec);
        if (ec) {
            ADD_FAILURE() << "no message: " << ec.message();
            return {};
        }
        std::string body((std::size_t{h[1]} << 16) | (std::size_t{h[2]} << 8) | h[3], '\0');
        asio::read(socket_, asio::buffer(body), ec);
        auto v = serialize::decode_value(format_, body);
        if (!v || !v->is_array()) {
            ADD_FAILURE() << "undecodable message";
            return {};
        }
        return v->as_array();
    }

    // The next message, which must have type `code`.
    Array expect(std::uint64_t code) {
        Array m = receive();
        EXPECT_FALSE(m.empty());
        if (!m.empty()) {
            EXPECT_EQ(m[0].to_uint(), code) << "got type " << m[0].to_uint().value_or(0);
        }
        return m;
    }

    wamp::Id join() {
        Object roles;
        for (const char* role : {"caller", "callee", "publisher", "subscriber"})
            roles.emplace(role, Object{});
        send({1, "realm1", Object{{"roles", Value(std::move(roles))}}});
        Array welcome = expect(2);
        return welcome.size() > 1 ? *welcome[1].to_uint() : 0;
    }

private:
    tcp::socket socket_;
    Format format_;
};

class GoClientFrames : public ::testing::TestWithParam<Format> {
protected:
    GoClientFrames() : work_(io_.get_executor()), router_(io_.get_executor(), config()) {
        transport::RawSocketOptions o;
        o.tcp_address = "127.0.0.1:0";
        server_ = std::make_unique<transport::RawSocketServer>(io_.get_executor(), router_, o);
        server_->start();
        thread_ = std::thread([this] { io_.run(); });
    }
    ~GoClientFrames() override {
        server_->stop();
        router_.shutdown();
        work_.reset();
        io_.stop();
        thread_.join();
    }

    RawPeer peer() { return RawPeer(client_io_, server_->tcp_port(), GetParam()); }

    asio::io_context io_;
    asio::executor_work_guard<asio::io_context::executor_type> work_;
    router::Router router_;
    std::unique_ptr<transport::RawSocketServer> server_;
    std::thread thread_;
    asio::io_context client_io_;
};

const Value kw = Value(Object{{"a", 1}, {"b", 2}});

TEST_P(GoClientFrames, CallYieldAndErrorWithOnlyKeywordArguments) {
    RawPeer callee = peer();
    RawPeer caller = peer();
    callee.join();
    caller.join();
    callee.send({64, 1, Object{}, "com.example.add"});
    const Value registration = callee.expect(65).at(2);

    caller.send({48, 1, Object{}, "com.example.add", nullptr, kw});
    Array invocation = callee.expect(68);
    ASSERT_EQ(invocation.size(), 6u);
    EXPECT_EQ(invocation[2], registration);
    EXPECT_EQ(invocation[4], Value(Array{}));
    EXPECT_EQ(invocation[5], kw);
    callee.send({70, invocation[1], Object{}, nullptr, Object{{"sum", 3}}});
    Array result = caller.expect(50);
    ASSERT_EQ(result.size(), 5u);
    EXPECT_EQ(result[1], Value(1));
    EXPECT_EQ(result[3], Value(Array{}));
    EXPECT_EQ(result[4], Value(Object{{"sum", 3}}));

    // Arguments, then a null ArgumentsKw.
    caller.send({48, 2, Object{}, "com.example.add", Array{1, 2}, nullptr});
    invocation = callee.expect(68);
    ASSERT_EQ(invocation.size(), 5u);
    EXPECT_EQ(invocation[4], Value(Array{1, 2}));
    callee.send({8, 68, invocation[1], Object{}, "com.example.error", nullptr, kw});
    Array error = caller.expect(8);
    ASSERT_EQ(error.size(), 7u);
    EXPECT_EQ(error[4], Value("com.example.error"));
    EXPECT_EQ(error[5], Value(Array{}));
    EXPECT_EQ(error[6], kw);
}

TEST_P(GoClientFrames, PublishWithOnlyKeywordArguments) {
    RawPeer subscriber = peer();
    RawPeer publisher = peer();
    subscriber.join();
    publisher.join();
    subscriber.send({32, 1, Object{}, "com.example.topic"});
    subscriber.expect(33);
    publisher.send({16, 1, Object{{"acknowledge", true}}, "com.example.topic", nullptr, kw});
    publisher.expect(17);
    Array event = subscriber.expect(36);
    ASSERT_EQ(event.size(), 6u);
    EXPECT_EQ(event[4], Value(Array{}));
    EXPECT_EQ(event[5], kw);
    // Null both: an event without payload.
    publisher.send({16, 2, Object{{"acknowledge", true}}, "com.example.topic", nullptr, nullptr});
    publisher.expect(17);
    EXPECT_EQ(subscriber.expect(36).size(), 4u);
}

INSTANTIATE_TEST_SUITE_P(EveryFormat, GoClientFrames,
                         ::testing::Values(Format::json, Format::msgpack, Format::cbor),
                         [](const auto& info) {
                             return std::string(wamp::format_name(info.param));
                         });

} // namespace
