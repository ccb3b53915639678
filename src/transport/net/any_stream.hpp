// The stream under the WebSocket server's Beast stream: plain TCP or TLS
// over TCP, chosen per connection, behind one type, so that Beast's
// WebSocket and HTTP code is instantiated once (instantiating it per stream
// type doubled websocket_server.cpp's compile time). The price is a
// type-erased handler per read and write, allocated from Asio's per-thread
// recycling allocator.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <variant>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/recycling_allocator.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/beast/websocket/teardown.hpp>

namespace nexus::transport {

namespace asio = boost::asio;
namespace beast = boost::beast;
using error_code = boost::system::error_code;

namespace any_stream_detail {

using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// Up to N buffers of a buffer sequence, by value: the type-erased form in
// which AnyStream passes buffers on. A read or write may take fewer bytes
// than offered, so dropping buffers past N only makes it shorter.
template <class Buffer, std::size_t N = 8> class BufferArray {
public:
    template <class Sequence> explicit BufferArray(const Sequence& sequence) {
        for (auto it = asio::buffer_sequence_begin(sequence),
                  end = asio::buffer_sequence_end(sequence);
             it != end && count_ < N; ++it) {
            const Buffer b(*it);
            if (b.size() > 0) items_[count_++] = b;
        }
    }
    const Buffer* begin() const { return items_.data(); }
    const Buffer* end() const { return items_.data() + count_; }

private:
    std::array<Buffer, N> items_{};
    std::size_t count_ = 0;
};
using MutableBuffers = BufferArray<asio::mutable_buffer>;
using ConstBuffers = BufferArray<asio::const_buffer>;

using IoHandler = asio::any_completion_handler<void(error_code, std::size_t)>;
using TeardownHandler = asio::any_completion_handler<void(error_code)>;

} // namespace any_stream_detail

class AnyStream {
public:
    using executor_type = asio::any_io_executor;
    using PlainStream = any_stream_detail::PlainStream;
    using TlsStream = any_stream_detail::TlsStream;

    explicit AnyStream(asio::ip::tcp::socket socket)
        : stream_(std::in_place_type<PlainStream>, std::move(socket)) {}
    AnyStream(asio::ip::tcp::socket socket, asio::ssl::context& context)
        : stream_(std::in_place_type<TlsStream>, std::move(socket), context) {}

    executor_type get_executor() noexcept { return tcp().get_executor(); }
    beast::tcp_stream& tcp() {
        if (auto* t = tls()) return t->next_layer();
        return std::get<PlainStream>(stream_);
    }
    TlsStream* tls() { return std::get_if<TlsStream>(&stream_); }

    /// Bytes read and written through this stream (by Beast: the upgrade and
    /// its data path) since the last call, for the router's metrics.
    std::pair<std::uint64_t, std::uint64_t> take_transferred() {
        return {std::exchange(received_, 0), std::exchange(sent_, 0)};
    }

    /// Calls `f` with what carries the bytes without Beast's timeouts: the
    /// TLS stream, or the plain TCP socket.
    template <class F> void with_socket(F&& f) {
        if (auto* t = tls())
            f(*t);
        else
            f(tcp().socket());
    }

    template <class Buffers, class Token> auto async_read_some(const Buffers& b, Token&& token) {
        return asio::async_initiate<Token, void(error_code, std::size_t)>(
            [this](auto handler, const MutableBuffers& buffers) {
                read_some(buffers, IoHandler(recycled(std::move(handler))));
            },
            token, MutableBuffers(b));
    }
    template <class Buffers, class Token> auto async_write_some(const Buffers& b, Token&& token) {
        return asio::async_initiate<Token, void(error_code, std::size_t)>(
            [this](auto handler, const ConstBuffers& buffers) {
                write_some(buffers, IoHandler(recycled(std::move(handler))));
            },
            token, ConstBuffers(b));
    }

    // Beast's customization points: how a WebSocket timeout closes the
    // connection, and how a WebSocket close ends it (with TLS's close_notify).
    friend void beast_close_socket(AnyStream& s) { beast::close_socket(s.tcp()); }
    template <class Handler>
    friend void async_teardown(beast::role_type role, AnyStream& s, Handler&& handler) {
        s.teardown(role, TeardownHandler(recycled(std::forward<Handler>(handler))));
    }

private:
    using MutableBuffers = any_stream_detail::MutableBuffers;
    using ConstBuffers = any_stream_detail::ConstBuffers;
    using IoHandler = any_stream_detail::IoHandler;
    using TeardownHandler = any_stream_detail::TeardownHandler;

    // Beast's operations report std::allocator, with which the erased
    // handler would go to the heap on every read and write.
    template <class Handler> static auto recycled(Handler&& handler) {
        return asio::bind_allocator(asio::recycling_allocator<void>(),
                                    std::forward<Handler>(handler));
    }

    // Boost 1.81's any_completion_executor (the erased handler's) cannot be
    // asked for blocking.never, which Beast and Asio post with; the stream's
    // executor, where the handler runs anyway, can.
    auto on_stream(IoHandler handler) {
        return asio::bind_executor(get_executor(), std::move(handler));
    }
    // Counts what the operation moved into `count`, then completes it.
    IoHandler counted(IoHandler handler, std::uint64_t& count) {
        return IoHandler(
            recycled([&count, h = std::move(handler)](error_code ec, std::size_t n) mutable {
                count += n;
                std::move(h)(ec, n);
            }));
    }
    auto on_stream(TeardownHandler handler) {
        return asio::bind_executor(get_executor(), std::move(handler));
    }

    // Calls `f` with the stream Beast reads and writes through: the TLS
    // stream, or the tcp_stream (which keeps Beast's timeouts).
    template <class F> void with_timed_stream(F&& f) {
        if (auto* t = tls())
            f(*t);
        else
            f(std::get<PlainStream>(stream_));
    }

    void read_some(const MutableBuffers& buffers, IoHandler erased) {
        with_timed_stream([&, handler = on_stream(counted(std::move(erased), received_))](
                              auto& s) mutable { s.async_read_some(buffers, std::move(handler)); });
    }
    void write_some(const ConstBuffers& buffers, IoHandler erased) {
        with_timed_stream(
            [&, handler = on_stream(counted(std::move(erased), sent_))](auto& s) mutable {
                s.async_write_some(buffers, std::move(handler));
            });
    }
    void teardown(beast::role_type role, TeardownHandler erased) {
        with_socket([&, handler = on_stream(std::move(erased))](auto& s) mutable {
            using beast::websocket::async_teardown;
            async_teardown(role, s, std::move(handler));
        });
    }

    std::variant<PlainStream, TlsStream> stream_;
    std::uint64_t received_ = 0;
    std::uint64_t sent_ = 0;
};

} // namespace nexus::transport
