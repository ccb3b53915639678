#include "rawsocket_link.hpp"

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

namespace wampbench {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {
constexpr std::size_t header_size = 4;
enum FrameType : unsigned char { regular = 0, ping = 1, pong = 2 };
} // namespace

RawSocketLink::RawSocketLink(asio::io_context& io, const Target& target) : StreamLink(io, target) {}

void RawSocketLink::connect(Connected done) {
    connect_tcp(std::move(done), [this](Connected d) { handshake(std::move(d)); });
}

void RawSocketLink::handshake(Connected done) {
    // Magic, our maximum length exponent (2^(9+15) = 16 MiB) and serializer.
    hs_[0] = 0x7f;
    hs_[1] =
        static_cast<unsigned char>(0xf0 | nexus::wamp::rawsocket_serializer_code(target_.format));
    hs_[2] = hs_[3] = 0;
    asio::async_write(
        socket_, asio::buffer(hs_), [this, done = std::move(done)](auto ec, std::size_t) mutable {
            if (ec) return done(ec, "handshake write");
            asio::async_read(socket_, asio::buffer(hs_),
                             [this, done = std::move(done)](auto ec2, std::size_t) mutable {
                                 if (ec2) return done(ec2, "handshake read");
                                 if (hs_[0] != 0x7f || (hs_[1] & 0x0f) == 0)
                                     return done(asio::error::connection_refused,
                                                 "RawSocket handshake refused by the server");
                                 max_out_ = std::size_t{1} << (9 + (hs_[1] >> 4));
                                 done({}, {});
                                 read();
                             });
        });
}

std::string& RawSocketLink::begin_frame() {
    frame_start_ = pending_.size();
    pending_.append(header_size, '\0');
    return pending_;
}

void RawSocketLink::end_frame() {
    const std::size_t length = pending_.size() - frame_start_ - header_size;
    if (length >= max_out_) { // the peer would drop the connection: drop the frame instead
        pending_.resize(frame_start_);
        return;
    }
    pending_[frame_start_] = regular;
    pending_[frame_start_ + 1] = static_cast<char>(length >> 16);
    pending_[frame_start_ + 2] = static_cast<char>(length >> 8);
    pending_[frame_start_ + 3] = static_cast<char>(length);
}

// Hands every complete frame to the handler; the partial rest stays.
std::size_t RawSocketLink::consume(char* data, std::size_t size, std::size_t& need) {
    std::size_t pos = 0;
    while (!closed_ && size - pos >= header_size) {
        const auto* h = reinterpret_cast<const unsigned char*>(data + pos);
        const std::size_t length = (std::size_t{h[1]} << 16) | (std::size_t{h[2]} << 8) | h[3];
        if (size - pos < header_size + length) {
            need = header_size + length;
            break;
        }
        const std::string_view body(data + pos + header_size, length);
        if (h[0] == regular) {
            if (handler_) handler_->on_frame(body);
        } else if (h[0] == ping) { // answer with the same payload
            std::string& out = begin_frame();
            out.append(body);
            end_frame();
            pending_[frame_start_] = pong;
        }
        pos += header_size + length;
    }
    return pos;
}

} // namespace wampbench
