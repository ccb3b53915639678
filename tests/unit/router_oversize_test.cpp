// Messages larger than a peer accepts (its RawSocket handshake announced a
// maximum): the transport skips them, and the router answers where someone
// waits (basic/uri_reference.md, wamp.error.payload_size_exceeded) — a caller
// whose RESULT is too large, a caller whose INVOCATION is too large for the
// callee — and counts and logs an EVENT a subscriber cannot take.
#include <nexus/serialize/serializer.hpp>
#include <nexus/transport/rawsocket_server.hpp>

#include "support/router_fixture.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <array>

namespace nexus::test {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using wamp::Array;
using wamp::Object;
using wamp::Payload;
using wamp::Value;

// A RawSocket client that announced the smallest maximum (2^9 = 512 octets).
class SmallPeer {
public:
    SmallPeer(asio::io_context& io, std::uint16_t port) : socket_(io) {
        socket_.connect({asio::ip::make_address("127.0.0.1"), port});
        timeval tv{5, 0};
        setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        const std::array<std::uint8_t, 4> hello{0x7f, 0x02, 0, 0}; // 2^9, MessagePack
        asio::write(socket_, asio::buffer(hello));
        std::array<std::uint8_t, 4> reply{};
        asio::read(socket_, asio::buffer(reply));
    }

    void send(const wamp::Message& m) {
        auto body = serialize::encode(wamp::Format::msgpack, m);
        ASSERT_TRUE(body.ok());
        const std::size_t n = body->size();
        std::string frame{char(0), char(n >> 16), char(n >> 8), char(n)};
        asio::write(socket_, asio::buffer(frame + *body));
    }

    wamp::Message receive() {
        std::array<std::uint8_t, 4> h{};
        boost::system::error_code ec;
        asio::read(socket_, asio::buffer(h), ec);
        if (ec) {
            ADD_FAILURE() << "nothing received: " << ec.message();
            return {};
        }
        std::string body((std::size_t{h[1]} << 16) | (std::size_t{h[2]} << 8) | h[3], '\0');
        asio::read(socket_, asio::buffer(body), ec);
        EXPECT_LE(body.size(), 512u);
        auto m = serialize::decode(wamp::Format::msgpack, body);
        EXPECT_TRUE(m.ok());
        return m.ok() ? *m : wamp::Message{};
    }
    template <class M> M expect() {
        wamp::Message m = receive();
        if (!std::holds_alternative<M>(m)) {
            ADD_FAILURE() << "expected " << wamp::message_name(M::type) << ", got "
                          << wamp::message_name(wamp::message_type(m)) << TestClient::describe(m);
            return M{};
        }
        return std::get<M>(std::move(m));
    }

    wamp::Id join() {
        send(TestClient::hello("realm1"));
        auto welcome = expect<wamp::Welcome>();
        // The whole WELCOME (its features lists) is larger than 512 octets:
        // this peer gets the roles alone.
        EXPECT_EQ(welcome.details.at("roles"),
                  Value(Object{{"broker", Object{}}, {"dealer", Object{}}}));
        return welcome.session;
    }

private:
    tcp::socket socket_;
};

const Payload big = Payload(Array{std::string(2000, 'x')});

class Oversize : public RouterFixture {
protected:
    Oversize() : RouterFixture(config()) {
        transport::RawSocketOptions o;
        o.tcp_address = "127.0.0.1:0";
        server_ = std::make_unique<transport::RawSocketServer>(io_.get_executor(), router(), o);
        server_->start();
    }
    ~Oversize() override { server_->stop(); }

    router::RouterConfig config() {
        router::RouterConfig c = default_config();
        c.logger = [this](router::RouterLogLevel, std::string_view line) {
            std::lock_guard lock(log_mutex_);
            log_.emplace_back(line);
        };
        return c;
    }
    SmallPeer small_peer() { return SmallPeer(client_io_, server_->tcp_port()); }
    bool logged(std::string_view text) {
        std::lock_guard lock(log_mutex_);
        for (const auto& line : log_)
            if (line.find(text) != std::string::npos) return true;
        return false;
    }

    std::unique_ptr<transport::RawSocketServer> server_;
    asio::io_context client_io_;
    std::mutex log_mutex_;
    std::vector<std::string> log_;
};

TEST_F(Oversize, AResultTooLargeForTheCallerBecomesPayloadSizeExceeded) {
    TestClient& callee = joined();
    callee.send(wamp::Register{callee.next_request(), {}, "com.big"});
    callee.expect<wamp::Registered>();
    SmallPeer caller = small_peer();
    caller.join();
    caller.send(wamp::Call{7, {}, "com.big", {}});
    auto inv = callee.expect<wamp::Invocation>();
    callee.send(wamp::Yield{inv.request, {}, big});
    auto err = caller.expect<wamp::Error>();
    EXPECT_EQ(err.request, 7u);
    EXPECT_EQ(err.request_type, wamp::MessageType::call);
    EXPECT_EQ(err.error, wamp::errors::payload_size_exceeded);
    // The session goes on.
    caller.send(wamp::Call{8, {}, "com.big", {}});
    inv = callee.expect<wamp::Invocation>();
    callee.send(wamp::Yield{inv.request, {}, Payload(Array{1})});
    EXPECT_EQ(caller.expect<wamp::Result>().request, 8u);
}

TEST_F(Oversize, AnInvocationTooLargeForTheCalleeFailsTheCall) {
    SmallPeer callee = small_peer();
    callee.join();
    callee.send(wamp::Register{1, {}, "com.small"});
    callee.expect<wamp::Registered>();
    TestClient& caller = joined();
    const wamp::Id req = caller.next_request();
    caller.send(wamp::Call{req, {}, "com.small", big});
    auto err = caller.expect<wamp::Error>();
    EXPECT_EQ(err.request, req);
    EXPECT_EQ(err.error, wamp::errors::payload_size_exceeded);
    // The callee never saw it; the next call reaches it.
    caller.send(wamp::Call{caller.next_request(), {}, "com.small", Payload(Array{1})});
    auto inv = callee.expect<wamp::Invocation>();
    EXPECT_EQ(inv.payload.args(), (Array{1}));
}

TEST_F(Oversize, AProgressiveResultTooLargeEndsTheCall) {
    TestClient& callee = joined();
    callee.send(wamp::Register{callee.next_request(), {}, "com.stream"});
    callee.expect<wamp::Registered>();
    SmallPeer caller = small_peer();
    caller.join();
    caller.send(wamp::Call{3, {{"receive_progress", true}}, "com.stream", {}});
    auto inv = callee.expect<wamp::Invocation>();
    callee.send(wamp::Yield{inv.request, {{"progress", true}}, Payload(Array{1})});
    EXPECT_EQ(caller.expect<wamp::Result>().payload.args(), (Array{1}));
    callee.send(wamp::Yield{inv.request, {{"progress", true}}, big});
    EXPECT_EQ(caller.expect<wamp::Error>().error, wamp::errors::payload_size_exceeded);
    EXPECT_EQ(callee.expect<wamp::Interrupt>().request, inv.request);
}

TEST_F(Oversize, AnEventTooLargeForASubscriberIsCountedAndLogged) {
    SmallPeer subscriber = small_peer();
    const wamp::Id session = subscriber.join();
    subscriber.send(wamp::Subscribe{1, {}, "com.news"});
    const wamp::Id sub = subscriber.expect<wamp::Subscribed>().subscription;
    TestClient& publisher = joined();
    publisher.send(wamp::Publish{publisher.next_request(), {}, "com.news", big});
    publisher.send(wamp::Publish{publisher.next_request(), {}, "com.news", Payload(Array{2})});
    EXPECT_EQ(subscriber.expect<wamp::Event>().payload.args(), (Array{2}));
    EXPECT_TRUE(logged("EVENT of subscription " + std::to_string(sub)));
    EXPECT_TRUE(logged("not delivered to session " + std::to_string(session)));
}

} // namespace
} // namespace nexus::test
