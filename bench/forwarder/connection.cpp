#include "connection.hpp"

#include <cstring>
#include <string_view>

#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

namespace forwarder {

namespace asio = boost::asio;

namespace {
constexpr std::size_t header_size = 4;
constexpr std::size_t max_frame = std::size_t{1} << 24; // what our handshake announces
constexpr std::size_t read_size = 64 * 1024;

std::size_t frame_length(const char* header) {
    const auto* h = reinterpret_cast<const unsigned char*>(header);
    return (std::size_t{h[1]} << 16) | (std::size_t{h[2]} << 8) | h[3];
}

Block frame(std::string_view body) {
    auto b = std::make_shared<std::string>(header_size, '\0');
    (*b)[1] = static_cast<char>(body.size() >> 16);
    (*b)[2] = static_cast<char>(body.size() >> 8);
    (*b)[3] = static_cast<char>(body.size());
    b->append(body);
    return b;
}
} // namespace

Connection::Connection(asio::ip::tcp::socket socket, Channels& channels)
    : socket_(std::move(socket)), channels_(channels), in_(read_size) {}

void Connection::start() {
    socket_.set_option(asio::ip::tcp::no_delay(true));
    read_handshake();
}

// transport_rawsocket.md: 0x7F, then max length exponent and serializer. We
// take any serializer (frames are not ours to read) and answer with the same.
void Connection::read_handshake() {
    asio::async_read(
        socket_, asio::buffer(handshake_), [self = shared_from_this()](auto ec, std::size_t) {
            if (ec) return self->close();
            const bool ok = self->handshake_[0] == 0x7f && (self->handshake_[1] & 0x0f) != 0;
            self->handshake_[1] =
                ok ? static_cast<unsigned char>(0xf0 | (self->handshake_[1] & 0x0f))
                   : static_cast<unsigned char>(0x10); // error 1: serializer unsupported
            self->handshake_[2] = self->handshake_[3] = 0;
            asio::async_write(self->socket_, asio::buffer(self->handshake_),
                              [self, ok](auto ec2, std::size_t) {
                                  if (ec2 || !ok) return self->close();
                                  self->read_join();
                              });
        });
}

// The first frame names the channel: "join <channel> <rw|w>". It is the only
// frame the forwarder reads; it answers "joined".
void Connection::read_join() {
    auto self = shared_from_this();
    socket_.async_read_some(
        asio::buffer(in_.data() + filled_, in_.size() - filled_), [self](auto ec, std::size_t n) {
            if (ec) return self->close();
            self->filled_ += n;
            if (self->filled_ < header_size ||
                self->filled_ < header_size + frame_length(self->in_.data())) {
                if (self->filled_ == self->in_.size()) return self->close(); // a join is short
                return self->read_join();
            }
            const std::size_t length = frame_length(self->in_.data());
            const std::string_view request(self->in_.data() + header_size, length);
            const auto space1 = request.find(' '), space2 = request.rfind(' ');
            if (!request.starts_with("join ") || space2 <= space1) return self->close();
            const std::string name(request.substr(space1 + 1, space2 - space1 - 1));
            const bool receives = request.substr(space2 + 1) == "rw";
            self->channel_ = &self->channels_.get(name);
            self->channel_->join(self, receives);
            std::memmove(self->in_.data(), self->in_.data() + header_size + length,
                         self->filled_ - header_size - length);
            self->filled_ -= header_size + length;
            self->deliver(frame("joined"));
            self->read_frames();
        });
}

void Connection::read_frames() {
    // Forward the complete frames already buffered, keep the partial tail.
    std::size_t pos = 0;
    while (filled_ - pos >= header_size) {
        const std::size_t length = frame_length(in_.data() + pos);
        if (length > max_frame) return close();
        if (filled_ - pos < header_size + length) {
            if (header_size + length > in_.size()) in_.resize(header_size + length);
            break;
        }
        pos += header_size + length;
    }
    if (pos > 0) {
        auto block = std::make_shared<const std::string>(in_.data(), pos);
        const auto members = channel_->members();
        for (const auto& r : members->receivers)
            if (r.get() != this) r->deliver(block);
        std::memmove(in_.data(), in_.data() + pos, filled_ - pos);
        filled_ -= pos;
    }
    if (in_.size() - filled_ < read_size / 4) in_.resize(in_.size() + read_size);
    auto self = shared_from_this();
    socket_.async_read_some(asio::buffer(in_.data() + filled_, in_.size() - filled_),
                            [self](auto ec, std::size_t n) {
                                if (ec) return self->close();
                                self->filled_ += n;
                                self->read_frames();
                            });
}

void Connection::deliver(Block block) {
    bool start = false;
    {
        std::lock_guard lock(out_mutex_);
        queued_.push_back(std::move(block));
        start = !writing_;
        writing_ = true;
    }
    if (start)
        asio::post(socket_.get_executor(), [self = shared_from_this()] { self->write_some(); });
}

// Writes everything queued so far in one gathered write, then looks again.
void Connection::write_some() {
    writing_blocks_.clear();
    {
        std::lock_guard lock(out_mutex_);
        if (queued_.empty() || closed_) {
            writing_ = false;
            return;
        }
        writing_blocks_.swap(queued_);
    }
    buffers_.clear();
    for (const auto& b : writing_blocks_)
        buffers_.push_back(asio::buffer(*b));
    asio::async_write(socket_, buffers_, [self = shared_from_this()](auto ec, std::size_t) {
        if (ec) return self->close();
        self->write_some();
    });
}

void Connection::close() {
    {
        std::lock_guard lock(out_mutex_);
        if (closed_) return;
        closed_ = true;
        queued_.clear();
    }
    if (channel_) channel_->leave(this);
    boost::system::error_code ignored;
    socket_.close(ignored);
}

} // namespace forwarder
