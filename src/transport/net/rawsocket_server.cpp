#include <nexus/transport/rawsocket_server.hpp>

#include <unistd.h>

#include <array>
#include <atomic>
#include <deque>
#include <mutex>
#include <set>
#include <vector>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>

#include "transport/net/address.hpp"

namespace nexus::transport {

namespace asio = boost::asio;
using error_code = boost::system::error_code;

namespace {

constexpr std::uint8_t magic = 0x7F;
enum HandshakeError : std::uint8_t {
    serializer_unsupported = 1,
    max_length_unacceptable = 2,
    reserved_bits_used = 3,
};
enum FrameType : std::uint8_t { regular = 0, ping = 1, pong = 2 };

// The exponent L announcing 2^(9+L) bytes, for the largest power of two <= n.
std::uint8_t length_exponent(std::size_t n) {
    std::uint8_t l = 0;
    while (l < 15 && (std::size_t{1} << (10 + l)) <= n)
        ++l;
    return l;
}

// Frames carry 24 length bits, so 2^24 itself cannot be sent (CHECKLIST ⚠A25).
std::size_t max_frame(std::uint8_t exponent) {
    return std::min<std::size_t>(std::size_t{1} << (9 + exponent), (std::size_t{1} << 24) - 1);
}

std::array<std::uint8_t, 4> frame_header(FrameType type, std::size_t length) {
    return {static_cast<std::uint8_t>(type), static_cast<std::uint8_t>(length >> 16),
            static_cast<std::uint8_t>(length >> 8), static_cast<std::uint8_t>(length)};
}

class SessionBase {
public:
    virtual ~SessionBase() = default;
    virtual void shutdown() = 0;
};

template <class Socket>
class RawSession final : public SessionBase,
                         public std::enable_shared_from_this<RawSession<Socket>> {
public:
    RawSession(Socket socket, router::Router& router, const RawSocketOptions& options,
               std::string peer_name)
        : socket_(std::move(socket)), strand_(asio::make_strand(socket_.get_executor())),
          timer_(strand_), router_(router), options_(options), peer_name_(std::move(peer_name)) {}

    void start() {
        timer_.expires_after(options_.handshake_timeout);
        timer_.async_wait(
            asio::bind_executor(strand_, [self = this->shared_from_this()](error_code ec) {
                if (!ec && !self->handshaken_) self->shutdown_now();
            }));
        asio::async_read(socket_, asio::buffer(handshake_),
                         asio::bind_executor(
                             strand_, [self = this->shared_from_this()](
                                          error_code ec, std::size_t) { self->on_handshake(ec); }));
    }

    void shutdown() override {
        asio::post(strand_, [self = this->shared_from_this()] { self->shutdown_now(); });
    }

    // router::Peer, through a weak adapter (below): both only schedule work.
    void wake() {
        if (drain_scheduled_.exchange(true)) return;
        asio::post(strand_, [self = this->shared_from_this()] {
            self->drain_scheduled_ = false;
            self->write_more();
        });
    }
    void close_requested() {
        asio::post(strand_, [self = this->shared_from_this()] {
            self->closing_ = true;
            self->write_more();
        });
    }

private:
    struct WeakPeer final : router::Peer {
        std::weak_ptr<RawSession> session;
        void wake() override {
            if (auto s = session.lock()) s->wake();
        }
        void close() override {
            if (auto s = session.lock()) s->close_requested();
        }
    };

    void on_handshake(error_code ec) {
        if (ec || stopped_) return shutdown_now();
        handshaken_ = true;
        timer_.cancel();
        // Anything but the magic octet is not RawSocket: close without reply.
        if (handshake_[0] != magic) return shutdown_now();
        std::uint8_t error = 0;
        const auto format = wamp::format_from_rawsocket_code(handshake_[1] & 0x0F);
        if (handshake_[2] != 0 || handshake_[3] != 0)
            error = reserved_bits_used;
        else if (!format)
            error = serializer_unsupported;
        if (error) {
            reply_ = {magic, static_cast<std::uint8_t>(error << 4), 0, 0};
            asio::async_write(socket_, asio::buffer(reply_),
                              asio::bind_executor(
                                  strand_, [self = this->shared_from_this()](
                                               error_code, std::size_t) { self->shutdown_now(); }));
            return;
        }
        format_ = *format;
        peer_max_ = max_frame(handshake_[1] >> 4);
        const std::uint8_t ours = length_exponent(options_.max_message_size);
        our_max_ = max_frame(ours);
        reply_ = {magic, static_cast<std::uint8_t>((ours << 4) | (handshake_[1] & 0x0F)), 0, 0};

        auto peer = std::make_shared<WeakPeer>();
        peer->session = this->weak_from_this();
        connection_ = router_.attach(
            peer,
            router::TransportInfo{
                "rawsocket", std::string(wamp::websocket_subprotocol(format_)), peer_name_, {}});
        asio::async_write(socket_, asio::buffer(reply_),
                          asio::bind_executor(strand_, [self = this->shared_from_this()](
                                                           error_code ec, std::size_t) {
                              if (ec) return self->shutdown_now();
                              self->read_header();
                          }));
    }

    void read_header() {
        asio::async_read(
            socket_, asio::buffer(header_),
            asio::bind_executor(strand_, [self = this->shared_from_this()](
                                             error_code ec, std::size_t) { self->on_header(ec); }));
    }

    void on_header(error_code ec) {
        if (ec || stopped_) return shutdown_now();
        const std::uint8_t type = header_[0] & 0x07;
        const std::size_t length =
            (std::size_t{header_[1]} << 16) | (std::size_t{header_[2]} << 8) | header_[3];
        // Over the announced limit, or an unknown frame type: close, no ABORT (spec).
        if (length > our_max_ || type > pong || (header_[0] & 0xF0) != 0) return shutdown_now();
        auto body = std::make_shared<std::string>(length, '\0');
        asio::async_read(socket_, asio::buffer(*body),
                         asio::bind_executor(strand_, [self = this->shared_from_this(), body,
                                                       type](error_code ec, std::size_t) {
                             self->on_body(ec, static_cast<FrameType>(type), std::move(body));
                         }));
    }

    void on_body(error_code ec, FrameType type, std::shared_ptr<std::string> body) {
        if (ec || stopped_) return shutdown_now();
        if (type == ping) {
            pongs_.push_back(std::move(body));
            write_more();
        } else if (type == regular && connection_) {
            auto message = serialize::decode(format_, std::shared_ptr<const std::string>(body),
                                             options_.limits);
            if (message)
                connection_->receive(std::move(*message));
            else
                connection_->receive_garbage(message.error().message);
        }
        read_header();
    }

    // Writes queued PONGs and router messages, one gathered write at a time.
    void write_more() {
        if (writing_ || stopped_ || !connection_) return;
        batch_.clear();
        buffers_.clear();
        headers_.clear();
        for (auto& p : pongs_) {
            headers_.push_back(frame_header(pong, p->size()));
            pong_batch_.push_back(std::move(p));
        }
        pongs_.clear();
        std::vector<router::OutgoingPtr> taken;
        connection_->take(taken, 256);
        for (router::OutgoingPtr& out : taken) {
            auto bytes = out->encoded(format_);
            // A message this peer cannot take (too large, or not encodable in
            // its format) is skipped; the session goes on.
            if (!bytes || (*bytes)->size() > peer_max_) {
                ++skipped_;
                continue;
            }
            headers_.push_back(frame_header(regular, (*bytes)->size()));
            batch_.push_back(*bytes);
        }
        if (headers_.empty()) {
            if (closing_) shutdown_now();
            return;
        }
        std::size_t h = 0;
        for (auto& p : pong_batch_) {
            buffers_.push_back(asio::buffer(headers_[h++]));
            buffers_.push_back(asio::buffer(*p));
        }
        for (auto& b : batch_) {
            buffers_.push_back(asio::buffer(headers_[h++]));
            buffers_.push_back(asio::buffer(*b));
        }
        writing_ = true;
        asio::async_write(socket_, buffers_,
                          asio::bind_executor(strand_, [self = this->shared_from_this()](
                                                           error_code ec, std::size_t) {
                              self->writing_ = false;
                              self->batch_.clear();
                              self->pong_batch_.clear();
                              if (ec) return self->shutdown_now();
                              self->write_more();
                          }));
    }

    void shutdown_now() {
        if (stopped_) return;
        stopped_ = true;
        timer_.cancel();
        error_code ignored;
        socket_.shutdown(Socket::shutdown_both, ignored);
        socket_.close(ignored);
        if (connection_) {
            connection_->disconnected();
            connection_.reset();
        }
    }

    Socket socket_;
    asio::strand<asio::any_io_executor> strand_;
    asio::steady_timer timer_;
    router::Router& router_;
    const RawSocketOptions options_;
    const std::string peer_name_;
    std::unique_ptr<router::Connection> connection_;

    std::array<std::uint8_t, 4> handshake_{};
    std::array<std::uint8_t, 4> reply_{};
    std::array<std::uint8_t, 4> header_{};
    wamp::Format format_ = wamp::Format::json;
    std::size_t our_max_ = 0;
    std::size_t peer_max_ = 0;

    std::atomic<bool> drain_scheduled_{false};
    bool handshaken_ = false;
    bool writing_ = false;
    bool closing_ = false;
    bool stopped_ = false;
    std::uint64_t skipped_ = 0;
    std::vector<std::shared_ptr<std::string>> pongs_, pong_batch_;
    std::vector<std::shared_ptr<const std::string>> batch_;
    std::vector<std::array<std::uint8_t, 4>> headers_;
    std::vector<asio::const_buffer> buffers_;
};

} // namespace

struct RawSocketServer::Impl : std::enable_shared_from_this<RawSocketServer::Impl> {
    Impl(asio::any_io_executor ex, router::Router& r, RawSocketOptions o)
        : executor(ex), router(r), options(std::move(o)), tcp(ex), unix_acceptor(ex) {}

    asio::any_io_executor executor;
    router::Router& router;
    RawSocketOptions options;
    asio::ip::tcp::acceptor tcp;
    asio::local::stream_protocol::acceptor unix_acceptor;
    std::mutex mutex;
    std::vector<std::weak_ptr<SessionBase>> sessions;
    bool stopped = false;

    void track(const std::shared_ptr<SessionBase>& s) {
        std::lock_guard lock(mutex);
        std::erase_if(sessions, [](const auto& w) { return w.expired(); });
        sessions.push_back(s);
    }

    void accept_tcp() {
        tcp.async_accept([self = shared_from_this()](error_code ec, asio::ip::tcp::socket socket) {
            if (ec == asio::error::operation_aborted || self->stopped) return;
            if (!ec) {
                error_code ignored;
                socket.set_option(asio::ip::tcp::no_delay(true), ignored);
                if (self->options.tcp_keepalive.count() > 0)
                    socket.set_option(asio::socket_base::keep_alive(true), ignored);
                const auto remote = socket.remote_endpoint(ignored);
                auto s = std::make_shared<RawSession<asio::ip::tcp::socket>>(
                    std::move(socket), self->router, self->options, describe(remote));
                self->track(s);
                s->start();
            }
            // Accept errors (e.g. out of file descriptors) must not stop the server.
            self->accept_tcp();
        });
    }

    void accept_unix() {
        unix_acceptor.async_accept([self = shared_from_this()](
                                       error_code ec, asio::local::stream_protocol::socket socket) {
            if (ec == asio::error::operation_aborted || self->stopped) return;
            if (!ec) {
                auto s = std::make_shared<RawSession<asio::local::stream_protocol::socket>>(
                    std::move(socket), self->router, self->options,
                    "unix:" + self->options.unix_path);
                self->track(s);
                s->start();
            }
            self->accept_unix();
        });
    }
};

RawSocketServer::RawSocketServer(asio::any_io_executor executor, router::Router& router,
                                 RawSocketOptions options)
    : impl_(std::make_shared<Impl>(std::move(executor), router, std::move(options))) {}

RawSocketServer::~RawSocketServer() { stop(); }

void RawSocketServer::start() {
    if (!impl_->options.tcp_address.empty()) {
        const auto endpoint = parse_endpoint(impl_->options.tcp_address);
        listen(impl_->tcp, endpoint, impl_->options.tcp_address);
        impl_->accept_tcp();
    }
    if (!impl_->options.unix_path.empty()) {
        ::unlink(impl_->options.unix_path.c_str());
        asio::local::stream_protocol::endpoint endpoint(impl_->options.unix_path);
        listen(impl_->unix_acceptor, endpoint, impl_->options.unix_path);
        impl_->accept_unix();
    }
}

void RawSocketServer::stop() {
    std::vector<std::shared_ptr<SessionBase>> live;
    {
        std::lock_guard lock(impl_->mutex);
        if (impl_->stopped) return;
        impl_->stopped = true;
        for (auto& w : impl_->sessions)
            if (auto s = w.lock()) live.push_back(std::move(s));
        impl_->sessions.clear();
    }
    if (!impl_->options.unix_path.empty()) ::unlink(impl_->options.unix_path.c_str());
    // Acceptors are not thread-safe: close them on the executor that runs them.
    asio::post(impl_->executor, [impl = impl_] {
        error_code ignored;
        impl->tcp.close(ignored);
        impl->unix_acceptor.close(ignored);
    });
    for (auto& s : live)
        s->shutdown();
}

std::uint16_t RawSocketServer::tcp_port() const {
    error_code ec;
    auto ep = impl_->tcp.local_endpoint(ec);
    return ec ? 0 : ep.port();
}

} // namespace nexus::transport
