#include "rawsocket_link.hpp"

#include <cstring>

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

namespace wampbench {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {
constexpr std::size_t header_size = 4;
// Small at first (idle and connect runs hold thousands of links), doubled
// whenever a read fills it, up to where a larger read stops paying.
constexpr std::size_t initial_buffer = 4 * 1024;
constexpr std::size_t adaptive_limit = 256 * 1024;
enum FrameType : unsigned char { regular = 0, ping = 1, pong = 2 };
} // namespace

RawSocketLink::RawSocketLink(asio::io_context& io, const Target& target)
    : socket_(io), target_(target), in_(initial_buffer) {}

void RawSocketLink::connect(Connected done) {
    // Numeric addresses only: a resolver per connection would dominate the
    // connect benchmark, and the bench targets a known host.
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(target_.host, ec);
    if (ec) return done(ec, "host must be a numeric IP address");
    socket_.async_connect(
        tcp::endpoint(address, target_.port),
        [this, done = std::move(done)](const boost::system::error_code& e) mutable {
            if (e) return done(e, "connect");
            socket_.set_option(tcp::no_delay(true));
            handshake(std::move(done));
        });
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

void RawSocketLink::flush() {
    if (writing_now_ || pending_.empty() || closed_) return;
    writing_.swap(pending_);
    pending_.clear();
    writing_now_ = true;
    asio::async_write(socket_, asio::buffer(writing_), [this](auto ec, std::size_t) {
        writing_now_ = false;
        writing_.clear();
        if (ec) return fail("write: " + ec.message());
        flush();
    });
}

void RawSocketLink::read() {
    if (closed_ || reading_stopped_) return;
    if (filled_ == in_.size()) in_.resize(in_.size() * 2);
    socket_.async_read_some(
        asio::buffer(in_.data() + filled_, in_.size() - filled_), [this](auto ec, std::size_t n) {
            if (ec) return fail(ec == asio::error::eof ? "closed by peer" : ec.message());
            const bool full = filled_ + n == in_.size();
            filled_ += n;
            consume();
            if (full && in_.size() < adaptive_limit) in_.resize(in_.size() * 2);
            if (handler_) handler_->on_batch_end();
            flush();
            read();
        });
}

// Hands every complete frame to the handler, keeps the partial rest.
void RawSocketLink::consume() {
    std::size_t pos = 0;
    while (!closed_ && filled_ - pos >= header_size) {
        const auto* h = reinterpret_cast<const unsigned char*>(in_.data() + pos);
        const std::size_t length = (std::size_t{h[1]} << 16) | (std::size_t{h[2]} << 8) | h[3];
        if (filled_ - pos < header_size + length) {
            if (header_size + length > in_.size()) in_.resize(header_size + length);
            break;
        }
        const std::string_view body(in_.data() + pos + header_size, length);
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
    if (pos > 0) {
        std::memmove(in_.data(), in_.data() + pos, filled_ - pos);
        filled_ -= pos;
    }
}

void RawSocketLink::fail(std::string_view why) {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ignored;
    socket_.close(ignored);
    if (handler_) handler_->on_closed(why);
}

void RawSocketLink::close() {
    closed_ = true;
    boost::system::error_code ignored;
    socket_.close(ignored);
}

} // namespace wampbench
