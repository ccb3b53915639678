// The network transports' byte counters (MetricsSnapshot::bytes_received,
// bytes_sent) match, to the byte, what a client on the other end wrote and
// read: RawSocket, and WebSocket on both data paths (ours, and Beast's with
// permessage-deflate). The closes by reason are asserted where the faults
// that cause them are made (fault_keepalive_test, fault_slow_consumer_test,
// fault_slowloris_test).
#include "support/net_fault.hpp"

namespace nexus::test {
namespace {

using router::NetTransport;

std::uint64_t received_by(const router::Router& r, NetTransport t) {
    return r.metrics().bytes_received[static_cast<std::size_t>(t)];
}
std::uint64_t sent_by(const router::Router& r, NetTransport t) {
    return r.metrics().bytes_sent[static_cast<std::size_t>(t)];
}

// A WebSocket client written against the bytes, so that it knows exactly
// what it wrote and read (Beast's client would not tell).
class ByteCountingWsClient {
public:
    explicit ByteCountingWsClient(std::uint16_t port) : fd_(tcp_connect(port)) {}
    ~ByteCountingWsClient() {
        if (fd_ >= 0) ::close(fd_);
    }

    /// Sends the upgrade request and reads the response up to its blank
    /// line; true on 101.
    bool upgrade(bool offer_deflate) {
        std::string request = ws_upgrade_request();
        if (offer_deflate)
            request.insert(request.size() - 2, "Sec-WebSocket-Extensions: permessage-deflate\r\n");
        if (!write_all(request)) return false;
        std::string response;
        while (!response.ends_with("\r\n\r\n")) {
            char c;
            if (!read_exact(&c, 1)) return false;
            response += c;
        }
        deflate_ = response.find("permessage-deflate") != std::string::npos;
        return response.starts_with("HTTP/1.1 101");
    }
    bool deflate_agreed() const { return deflate_; }

    /// One masked text frame (the payload stays uncompressed: RFC 7692
    /// lets a message go without compression).
    bool send_text(const std::string& payload) {
        std::string frame{char(0x81)};
        if (payload.size() < 126) {
            frame += char(0x80 | payload.size());
        } else {
            frame += char(0x80 | 126);
            frame += char(payload.size() >> 8);
            frame += char(payload.size() & 0xFF);
        }
        const std::array<char, 4> mask{0x11, 0x22, 0x33, 0x44};
        frame.append(mask.begin(), mask.end());
        for (std::size_t i = 0; i < payload.size(); ++i)
            frame += char(payload[i] ^ mask[i % 4]);
        return write_all(frame);
    }

    /// Reads one whole frame (header and payload) and returns its payload
    /// as sent (compressed if the server compressed it).
    std::optional<std::string> read_frame() {
        std::array<std::uint8_t, 2> h{};
        if (!read_exact(h.data(), 2)) return std::nullopt;
        std::uint64_t length = h[1] & 0x7F;
        if (length >= 126) {
            std::array<std::uint8_t, 8> ext{};
            const std::size_t n = length == 126 ? 2 : 8;
            if (!read_exact(ext.data(), n)) return std::nullopt;
            length = 0;
            for (std::size_t i = 0; i < n; ++i)
                length = length << 8 | ext[i];
        }
        std::string payload(length, '\0');
        if (!read_exact(payload.data(), payload.size())) return std::nullopt;
        return payload;
    }

    std::uint64_t bytes_sent() const { return sent_; }
    std::uint64_t bytes_received() const { return received_; }

private:
    bool write_all(const std::string& bytes) {
        sent_ += bytes.size();
        return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) == ssize_t(bytes.size());
    }
    bool read_exact(void* data, std::size_t n) {
        char* p = static_cast<char*>(data);
        while (n > 0) {
            pollfd pfd{fd_, POLLIN, 0};
            if (::poll(&pfd, 1, 3000) != 1) return false;
            const ssize_t got = ::recv(fd_, p, n, 0);
            if (got <= 0) return false;
            received_ += std::uint64_t(got);
            p += got;
            n -= std::size_t(got);
        }
        return true;
    }

    int fd_;
    bool deflate_ = false;
    std::uint64_t sent_ = 0;
    std::uint64_t received_ = 0;
};

NetRouter::Options with_compression() {
    NetRouter::Options o = NetRouter::defaults();
    o.websocket.enable_compression = true; // for clients that offer it: Beast's data path
    return o;
}

class TransportBytes : public ::testing::Test {
protected:
    // The server counts a write once it completed, which may be just after
    // the client has read it.
    void expect_counted(NetTransport t, std::uint64_t received, std::uint64_t sent) {
        EXPECT_TRUE(eventually([&] {
            return received_by(net_.router(), t) == received && sent_by(net_.router(), t) == sent;
        })) << "received "
            << received_by(net_.router(), t) << " of " << received << ", sent "
            << sent_by(net_.router(), t) << " of " << sent;
    }

    NetRouter net_{with_compression()};
};

TEST_F(TransportBytes, RawSocketCountsEveryByteBothWays) {
    RawClient c(net_.raw_port());
    ASSERT_NE(c.join(), 0u);
    auto r = c.call("wamp.session.count");
    ASSERT_TRUE(r && std::holds_alternative<wamp::Result>(*r));
    expect_counted(NetTransport::rawsocket, c.bytes_sent(), c.bytes_received());
    EXPECT_EQ(received_by(net_.router(), NetTransport::websocket), 0u);
    EXPECT_EQ(sent_by(net_.router(), NetTransport::websocket), 0u);
}

void join_over_websocket(ByteCountingWsClient& c) {
    const auto hello = serialize::encode(wamp::Format::json, hello_with_roles());
    ASSERT_TRUE(hello.ok());
    ASSERT_TRUE(c.send_text(*hello));
    ASSERT_TRUE(c.read_frame()); // WELCOME
}

TEST_F(TransportBytes, WebSocketCountsUpgradeAndFramesOnOurDataPath) {
    ByteCountingWsClient c(net_.ws_port());
    ASSERT_TRUE(c.upgrade(false));
    ASSERT_NO_FATAL_FAILURE(join_over_websocket(c));
    expect_counted(NetTransport::websocket, c.bytes_sent(), c.bytes_received());
    EXPECT_EQ(received_by(net_.router(), NetTransport::rawsocket), 0u);
}

TEST_F(TransportBytes, WebSocketCountsCompressedFramesOnBeastsDataPath) {
    ByteCountingWsClient c(net_.ws_port());
    ASSERT_TRUE(c.upgrade(true));
    ASSERT_TRUE(c.deflate_agreed());
    ASSERT_NO_FATAL_FAILURE(join_over_websocket(c));
    expect_counted(NetTransport::websocket, c.bytes_sent(), c.bytes_received());
}

} // namespace
} // namespace nexus::test
