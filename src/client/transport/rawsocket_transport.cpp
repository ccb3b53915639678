// RawSocket client (advanced/transport_rawsocket.md) over TCP, TLS or a
// Unix socket: the 4-octet handshake, length-prefixed frames, PING -> PONG, and
// the maximum message lengths announced by both sides.
#include <array>
#include <atomic>
#include <deque>
#include <map>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <nexus/client/error.hpp>

#include "client/transport/connectors.hpp"
#include "client/transport/tls.hpp"
#include "transport/net/tls_channel_binding.hpp"
#include "transport/net/write_deadline.hpp"
#include "transport/rawsocket_wire.hpp"

namespace nexus::client::detail {

namespace asio = boost::asio;
using error_code = boost::system::error_code;

namespace {

using namespace nexus::transport::rawsocket;

std::shared_ptr<std::string> make_frame(FrameType type, std::string_view body) {
    auto frame = std::make_shared<std::string>();
    frame->reserve(4 + body.size());
    const auto header = frame_header(type, body.size());
    frame->append(header.begin(), header.end());
    frame->append(body);
    return frame;
}

template <class Socket>
class RawSocketTransport final : public Transport,
                                 public std::enable_shared_from_this<RawSocketTransport<Socket>> {
public:
    RawSocketTransport(std::shared_ptr<asio::ssl::context> tls, Socket socket, wamp::Format format,
                       std::size_t our_max, std::size_t peer_max, serialize::DecodeLimits limits,
                       std::chrono::milliseconds write_timeout)
        : tls_(std::move(tls)), socket_(std::move(socket)), format_(format), our_max_(our_max),
          peer_max_(peer_max), limits_(limits), write_timeout_(write_timeout),
          write_deadline_(socket_.get_executor(), socket_.lowest_layer().native_handle(),
                          write_timeout) {
        // The handshake is done: the channel ids are fixed from here on.
        if constexpr (std::is_same_v<Socket, asio::ssl::stream<asio::ip::tcp::socket>>)
            channel_ids_ = nexus::transport::tls_channel_ids(socket_.native_handle(), false);
    }

    void start(MessageHandler on_message, CloseHandler on_close) override {
        asio::post(socket_.get_executor(),
                   [self = this->shared_from_this(), m = std::move(on_message),
                    c = std::move(on_close)]() mutable {
                       self->on_message_ = std::move(m);
                       self->on_close_ = std::move(c);
                       self->read_header();
                   });
    }

    void send(wamp::Message message) override {
        if (closed_) return;
        // Encoding happens on the caller's thread; only the queue is the strand's.
        auto bytes = serialize::encode(format_, message);
        if (!bytes || bytes->size() > peer_max_) return; // the router could not take it
        post_frame(make_frame(regular, *bytes));
    }

    void close() override {
        if (closed_.exchange(true)) return;
        asio::post(socket_.get_executor(), [self = this->shared_from_this()] {
            self->write_deadline_.cancel();
            error_code ec;
            self->socket_.lowest_layer().close(ec);
        });
    }

    bool is_open() const override { return !closed_; }
    std::string_view kind() const override { return "rawsocket"; }
    std::optional<wamp::Format> format() const override { return format_; }
    std::vector<std::uint8_t> channel_id(std::string_view type) const override {
        auto it = channel_ids_.find(std::string(type));
        return it == channel_ids_.end() ? std::vector<std::uint8_t>{} : it->second;
    }

private:
    void post_frame(std::shared_ptr<std::string> frame) {
        asio::post(socket_.get_executor(),
                   [self = this->shared_from_this(), f = std::move(frame)]() mutable {
                       self->queue_.push_back(std::move(f));
                       self->write_more();
                   });
    }

    void write_more() {
        if (writing_ || queue_.empty() || closed_) return;
        writing_ = true;
        write_deadline_.begin(this->shared_from_this(), [this] { fail(write_timed_out()); });
        asio::async_write(socket_, asio::buffer(*queue_.front()),
                          nexus::transport::ReportProgress(write_deadline_),
                          [self = this->shared_from_this()](error_code ec, std::size_t) {
                              self->writing_ = false;
                              self->write_deadline_.end();
                              self->queue_.pop_front();
                              if (ec) return self->fail(self->io_failure("write", ec));
                              self->write_more();
                          });
    }

    void read_header() {
        asio::async_read(
            socket_, asio::buffer(header_),
            [self = this->shared_from_this()](error_code ec, std::size_t) { self->on_header(ec); });
    }

    void on_header(error_code ec) {
        if (ec)
            return fail(ec == asio::error::eof ? "the router closed the connection"
                                               : io_failure("read", ec));
        const FrameHeader header = parse_frame_header(header_.data(), our_max_);
        if (header.problem == FrameProblem::bad_type)
            return fail("the router sent a RawSocket frame of unknown type");
        if (header.problem == FrameProblem::too_long)
            return fail("the router sent a frame larger than we announced we accept");
        const FrameType type = header.type;
        auto body = std::make_shared<std::string>(header.length, '\0');
        asio::async_read(socket_, asio::buffer(*body),
                         [self = this->shared_from_this(), body, type](error_code ec, std::size_t) {
                             if (ec) return self->fail(self->io_failure("read", ec));
                             self->on_body(type, body);
                         });
    }

    void on_body(FrameType type, std::shared_ptr<std::string> body) {
        if (closed_) return;
        if (type == ping) {
            queue_.push_back(make_frame(pong, *body));
            write_more();
        } else if (type == regular) {
            auto message =
                serialize::decode(format_, std::shared_ptr<const std::string>(body), limits_);
            if (!message) return fail("undecodable message: " + message.error().message);
            if (on_message_) on_message_(std::move(*message));
        }
        read_header();
    }

    std::string write_timed_out() const {
        return "write timed out: the router took no data for " +
               std::to_string(write_timeout_.count()) + " ms";
    }
    // The kernel's TCP_USER_TIMEOUT (our write timeout) may end the
    // connection before the deadline notices: the same cause, said the same
    // way, on whichever operation learns of it first.
    std::string io_failure(const char* operation, const error_code& ec) const {
        if (ec == asio::error::timed_out && write_timeout_.count() > 0) return write_timed_out();
        return std::string(operation) + " failed: " + ec.message();
    }

    void fail(std::string reason) {
        if (closed_.exchange(true)) return;
        write_deadline_.cancel();
        error_code ec;
        socket_.lowest_layer().close(ec);
        if (on_close_) on_close_(std::move(reason));
    }

    std::shared_ptr<asio::ssl::context> tls_; // outlives socket_ (a TLS stream uses it)
    Socket socket_;
    const wamp::Format format_;
    const std::size_t our_max_;
    const std::size_t peer_max_;
    const serialize::DecodeLimits limits_;
    const std::chrono::milliseconds write_timeout_;
    std::map<std::string, std::vector<std::uint8_t>> channel_ids_; // TLS only
    std::atomic<bool> closed_{false};
    // Strand only.
    nexus::transport::WriteDeadline write_deadline_;
    MessageHandler on_message_;
    CloseHandler on_close_;
    std::array<std::uint8_t, 4> header_{};
    std::deque<std::shared_ptr<std::string>> queue_;
    bool writing_ = false;
};

template <class Socket> struct is_tls : std::false_type {};
template <class Next> struct is_tls<asio::ssl::stream<Next>> : std::true_type {};

// Connects (TLS handshake included) and performs the RawSocket handshake; `socket` is closed by the
// timer on expiry.
template <class Socket, class Endpoint>
asio::awaitable<std::shared_ptr<Transport>>
open(Socket socket, const Endpoint& endpoint, const std::string& what,
     const ConnectOptions& options, std::shared_ptr<asio::ssl::context> tls = {}) {
    asio::steady_timer deadline(socket.get_executor());
    bool timed_out = false;
    // Set when this frame is left, so that a timer handler already queued
    // touches nothing of it.
    struct Finished {
        std::shared_ptr<bool> flag = std::make_shared<bool>(false);
        ~Finished() { *flag = true; }
    } finished;
    deadline.expires_after(options.timeout);
    deadline.async_wait([&, flag = finished.flag](error_code ec) {
        if (ec || *flag) return;
        timed_out = true;
        error_code ignored;
        socket.lowest_layer().close(ignored);
    });
    try {
        co_await socket.lowest_layer().async_connect(endpoint, asio::use_awaitable);
        if constexpr (std::is_same_v<Endpoint, asio::ip::tcp::endpoint>)
            nexus::transport::tcp_user_timeout(socket.lowest_layer().native_handle(),
                                               options.write_timeout);
        if constexpr (is_tls<Socket>::value)
            co_await socket.async_handshake(asio::ssl::stream_base::client, asio::use_awaitable);
        const std::uint8_t ours = length_exponent(options.max_message_size);
        const std::uint8_t code = wamp::rawsocket_serializer_code(options.format);
        std::array<std::uint8_t, 4> hello{magic, static_cast<std::uint8_t>((ours << 4) | code), 0,
                                          0};
        co_await asio::async_write(socket, asio::buffer(hello), asio::use_awaitable);
        std::array<std::uint8_t, 4> reply{};
        co_await asio::async_read(socket, asio::buffer(reply), asio::use_awaitable);
        deadline.cancel();
        const HandshakeReply answer = read_handshake_reply(reply, code);
        if (!answer.accepted) throw TransportError(what + ": " + answer.error);
        co_return std::make_shared<RawSocketTransport<Socket>>(
            std::move(tls), std::move(socket), options.format, max_frame(ours), answer.peer_max,
            options.limits, options.write_timeout);
    } catch (const boost::system::system_error& e) {
        deadline.cancel();
        if (timed_out) throw TransportError(what + ": timed out");
        throw TransportError(what + ": " + describe_error(e.code()));
    }
}

} // namespace

asio::awaitable<std::shared_ptr<Transport>> connect_rawsocket(const Url& url,
                                                              const ConnectOptions& options) {
    auto executor = co_await asio::this_coro::executor;
    if (url.scheme == "unix") {
        using protocol = asio::local::stream_protocol;
        co_return co_await open(protocol::socket(executor), protocol::endpoint(url.path),
                                "unix://" + url.path, options);
    }
    const std::string what = url.scheme + "://" + url.host + ":" + url.port;
    std::shared_ptr<asio::ssl::context> tls;
    if (url.scheme == "tcps") tls = make_tls_context(options.tls);
    asio::ip::tcp::resolver resolver(executor);
    asio::ip::tcp::resolver::results_type endpoints;
    try {
        endpoints = co_await resolver.async_resolve(url.host, url.port, asio::use_awaitable);
    } catch (const boost::system::system_error& e) {
        throw TransportError(what + ": cannot resolve: " + e.code().message());
    }
    // The first address that accepts; the last failure is reported.
    std::exception_ptr last;
    for (const auto& entry : endpoints) {
        try {
            if (tls) {
                asio::ssl::stream<asio::ip::tcp::socket> stream(executor, *tls);
                prepare_tls_client(stream.native_handle(), options.tls, url.host);
                co_return co_await open(std::move(stream), entry.endpoint(), what, options, tls);
            }
            co_return co_await open(asio::ip::tcp::socket(executor), entry.endpoint(), what,
                                    options);
        } catch (const TransportError&) {
            last = std::current_exception();
        }
    }
    if (last) std::rethrow_exception(last);
    throw TransportError(what + ": no address");
}

} // namespace nexus::client::detail
