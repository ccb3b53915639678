#include "stream_link.hpp"

#include <cstring>

#include <boost/asio/write.hpp>

namespace wampbench {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {
// Small at first (idle and connect runs hold thousands of links), doubled
// whenever a read fills it, up to where a larger read stops paying.
constexpr std::size_t initial_buffer = 4 * 1024;
constexpr std::size_t adaptive_limit = 256 * 1024;
} // namespace

StreamLink::StreamLink(asio::io_context& io, const Target& target)
    : socket_(io), target_(target), in_(initial_buffer) {}

void StreamLink::connect_tcp(Connected done, std::function<void(Connected)> then) {
    // Numeric addresses only: a resolver per connection would dominate the
    // connect benchmark, and the bench targets a known host.
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(target_.host, ec);
    if (ec) return done(ec, "host must be a numeric IP address");
    socket_.async_connect(tcp::endpoint(address, target_.port),
                          [this, done = std::move(done),
                           then = std::move(then)](const boost::system::error_code& e) mutable {
                              if (e) return done(e, "connect");
                              socket_.set_option(tcp::no_delay(true));
                              then(std::move(done));
                          });
}

void StreamLink::flush() {
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

void StreamLink::read() {
    if (closed_ || reading_stopped_) return;
    if (filled_ == in_.size()) in_.resize(in_.size() * 2);
    socket_.async_read_some(
        asio::buffer(in_.data() + filled_, in_.size() - filled_), [this](auto ec, std::size_t n) {
            if (ec) return fail(ec == asio::error::eof ? "closed by peer" : ec.message());
            const bool full = filled_ + n == in_.size();
            filled_ += n;
            std::size_t need = 0;
            const std::size_t used = consume(in_.data(), filled_, need);
            if (used > 0) {
                std::memmove(in_.data(), in_.data() + used, filled_ - used);
                filled_ -= used;
            }
            if (need > in_.size()) in_.resize(need);
            if (full && in_.size() < adaptive_limit) in_.resize(in_.size() * 2);
            if (handler_) handler_->on_batch_end();
            flush();
            read();
        });
}

void StreamLink::fail(std::string_view why) {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ignored;
    socket_.close(ignored);
    if (handler_) handler_->on_closed(why);
}

// A bench ends by dropping its connections; a closing handshake per
// connection would only measure teardown.
void StreamLink::close() {
    closed_ = true;
    boost::system::error_code ignored;
    socket_.close(ignored);
}

} // namespace wampbench
