#include "websocket_link.hpp"

#include <chrono>
#include <cstring>
#include <memory>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/beast/websocket/stream.hpp>

namespace wampbench {

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;

namespace {
// 2 bytes, a 64-bit length and the masking key: room left in front of each
// frame's payload while it is built.
constexpr std::size_t max_header = 14;
// Masking and unmasking are one XOR (RFC 6455 5.3).
void mask(char* data, std::size_t size, std::uint32_t key) {
    std::uint8_t bytes[4];
    std::memcpy(bytes, &key, 4);
    nexus::transport::wsframe::unmask(data, size, bytes, 0);
}
} // namespace

WebSocketLink::WebSocketLink(asio::io_context& io, const Target& target)
    : StreamLink(io, target),
      mask_state_(
          (static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
           reinterpret_cast<std::uintptr_t>(this)) |
          1) {}

void WebSocketLink::connect(Connected done) {
    connect_tcp(std::move(done), [this](Connected d) { upgrade(std::move(d)); });
}

void WebSocketLink::upgrade(Connected done) {
    // Beast on a reference to our socket, for the handshake only.
    struct Upgrade {
        explicit Upgrade(asio::ip::tcp::socket& s) : ws(s) {}
        websocket::stream<asio::ip::tcp::socket&> ws;
        websocket::response_type response;
    };
    auto up = std::make_shared<Upgrade>(socket_);
    const std::string protocol(nexus::wamp::websocket_subprotocol(target_.format));
    up->ws.set_option(websocket::stream_base::decorator([protocol](websocket::request_type& req) {
        req.set(http::field::sec_websocket_protocol, protocol);
    }));
    const std::string host = target_.host + ":" + std::to_string(target_.port);
    up->ws.async_handshake(
        up->response, host, target_.path,
        [this, up, done = std::move(done), protocol](const boost::system::error_code& e) {
            if (e) return done(e, "WebSocket handshake");
            if (up->response[http::field::sec_websocket_protocol] != protocol)
                return done(asio::error::connection_refused,
                            "the server did not accept subprotocol " + protocol);
            done({}, {});
            read();
        });
}

std::uint32_t WebSocketLink::next_mask() {
    // xorshift64: unpredictable enough for a masking key, and cheap.
    mask_state_ ^= mask_state_ << 13;
    mask_state_ ^= mask_state_ >> 7;
    mask_state_ ^= mask_state_ << 17;
    return static_cast<std::uint32_t>(mask_state_ >> 16);
}

std::string& WebSocketLink::begin_frame() {
    frame_start_ = pending_.size();
    pending_.append(max_header, '\0');
    return pending_;
}

void WebSocketLink::end_frame() {
    finish_frame(target_.format == nexus::wamp::Format::json ? Opcode::text : Opcode::binary);
}

void WebSocketLink::finish_frame(Opcode opcode) {
    const std::size_t length = pending_.size() - frame_start_ - max_header;
    unsigned char header[max_header];
    std::size_t h = 0;
    header[h++] = static_cast<unsigned char>(0x80 | static_cast<std::uint8_t>(opcode));
    if (length < 126) {
        header[h++] = static_cast<unsigned char>(0x80 | length);
    } else if (length <= 0xffff) {
        header[h++] = 0x80 | 126;
        header[h++] = static_cast<unsigned char>(length >> 8);
        header[h++] = static_cast<unsigned char>(length);
    } else {
        header[h++] = 0x80 | 127;
        for (int shift = 56; shift >= 0; shift -= 8)
            header[h++] = static_cast<unsigned char>(std::uint64_t{length} >> shift);
    }
    const std::uint32_t key = next_mask();
    std::memcpy(header + h, &key, 4);
    h += 4;
    mask(pending_.data() + frame_start_ + max_header, length, key);
    // The header goes right in front of the payload; the unused room goes.
    std::memcpy(pending_.data() + frame_start_ + max_header - h, header, h);
    pending_.erase(frame_start_, max_header - h);
}

// Hands every complete message to the handler; the partial rest stays.
std::size_t WebSocketLink::consume(char* data, std::size_t size, std::size_t& need) {
    std::size_t pos = 0;
    while (!closed_ && size - pos >= 2) {
        const auto* b = reinterpret_cast<const unsigned char*>(data + pos);
        const bool fin = b[0] & 0x80;
        const auto opcode = static_cast<Opcode>(b[0] & 0x0f);
        const bool masked = b[1] & 0x80;
        std::size_t h = 2;
        std::uint64_t length = b[1] & 0x7f;
        if (length == 126) {
            if (size - pos < 4) break;
            length = (std::uint64_t{b[2]} << 8) | b[3];
            h = 4;
        } else if (length == 127) {
            if (size - pos < 10) break;
            length = 0;
            for (int i = 2; i < 10; ++i)
                length = (length << 8) | b[i];
            h = 10;
        }
        if (length > (std::uint64_t{1} << 30)) {
            fail("frame of " + std::to_string(length) + " bytes from the server");
            break;
        }
        const std::size_t key_at = h;
        if (masked) h += 4; // servers must not mask, but it costs nothing to allow
        if (size - pos < h + length) {
            need = h + static_cast<std::size_t>(length);
            break;
        }
        char* payload = data + pos + h;
        if (masked) {
            std::uint32_t key;
            std::memcpy(&key, b + key_at, 4);
            mask(payload, length, key);
        }
        const std::string_view body(payload, length);
        pos += h + static_cast<std::size_t>(length);
        switch (opcode) {
        case Opcode::text:
        case Opcode::binary:
            if (fin) {
                if (handler_) handler_->on_frame(body);
            } else {
                fragments_.assign(body);
                in_fragments_ = true;
            }
            break;
        case Opcode::continuation:
            if (!in_fragments_) {
                fail("continuation frame outside a message");
                return pos;
            }
            fragments_.append(body);
            if (fin) {
                in_fragments_ = false;
                if (handler_) handler_->on_frame(fragments_);
            }
            break;
        case Opcode::ping: {
            std::string& out = begin_frame();
            out.append(body);
            finish_frame(Opcode::pong);
            break;
        }
        case Opcode::pong: break;
        case Opcode::close: fail("closed by peer"); return pos;
        default:
            fail("unknown WebSocket opcode " + std::to_string(static_cast<int>(opcode)));
            return pos;
        }
    }
    return pos;
}

} // namespace wampbench
