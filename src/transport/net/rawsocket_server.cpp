#include <nexus/transport/rawsocket_server.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstring>
#include <mutex>
#include <set>
#include <utility>
#include <vector>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>

#include "transport/net/accept_retry.hpp"
#include "transport/net/address.hpp"
#include "transport/net/connection_limits.hpp"
#include "transport/net/connection_list.hpp"
#include "transport/net/drain.hpp"
#include "transport/net/idle_watch.hpp"
#include "transport/net/read_buffer.hpp"
#include "transport/net/read_turns.hpp"
#include "transport/net/tls_channel_binding.hpp"
#include "transport/net/tls_client_certificate.hpp"
#include "transport/net/tls_context.hpp"
#include "transport/net/write_deadline.hpp"
#include "transport/rawsocket_wire.hpp"

namespace nexus::transport {

namespace asio = boost::asio;
using error_code = boost::system::error_code;

namespace {

using namespace rawsocket;

// Read side: a ReadBuffer (read_buffer.hpp); a frame too large for its
// maximum is read straight into its own string instead of growing the buffer
// to max_message_size.

// Write side: one gathered write carries everything queued, up to
// write_batch_bytes (so a peer that stops reading holds at most one batch
// here; the rest waits in the router's bounded queue). The bound is well above
// what one read batch can route to a peer (ReadBuffer::max_capacity), so a subscriber
// keeps up with a publisher sending as fast as it can. Headers and bodies up to
// copy_threshold are copied into one contiguous staging buffer, because an
// iovec entry per 100-byte message would cost more than the copy and Asio
// hands at most 64 buffers to one sendmsg; larger bodies are sent from the
// shared encoding without a copy.
constexpr std::size_t write_batch_bytes = 256 * 1024;
constexpr std::size_t copy_threshold = 1024;
constexpr std::size_t take_chunk = 64;

class SessionBase {
public:
    virtual ~SessionBase() = default;
    virtual void start() = 0;
    virtual void shutdown() = 0;
    /// Writes what is queued, then closes; closed at `deadline` at the latest.
    virtual void drain(std::chrono::steady_clock::time_point deadline, DrainToken token) = 0;
};

using TlsSocket = asio::ssl::stream<asio::ip::tcp::socket>;
using Clock = std::chrono::steady_clock;

template <class Socket>
class RawSession final : public SessionBase,
                         public std::enable_shared_from_this<RawSession<Socket>> {
    static constexpr bool tls = std::is_same_v<Socket, TlsSocket>;
    // Over TLS every body is copied into the staging buffer: OpenSSL encrypts
    // one buffer per write, so a gathered write would go out as a TLS record
    // and a send per piece instead of full 16 KiB records.
    static constexpr std::size_t copy_limit = tls ? SIZE_MAX : copy_threshold;

public:
    /// `tls_context`: the context `socket` was made with (TlsSocket only).
    RawSession(Socket socket, std::shared_ptr<asio::ssl::context> tls_context,
               router::Router& router, const RawSocketOptions& options, std::string peer_name,
               ConnectionSlot slot)
        : slot_(std::move(slot)), tls_context_(std::move(tls_context)), socket_(std::move(socket)),
          strand_(asio::make_strand(socket_.get_executor())), timer_(strand_),
          write_deadline_(strand_, socket_.lowest_layer().native_handle(), options.write_timeout),
          router_(router), meter_(router.transport_meter(router::NetTransport::rawsocket)),
          options_(options), peer_name_(std::move(peer_name)) {}

    // Called by the accept handler, off the session's strand: everything
    // after it runs on the strand, where shutdown_now() (a server stop) may
    // already have run.
    void start() override {
        asio::dispatch(strand_, [self = this->shared_from_this()] {
            if (!self->stopped_) self->begin();
        });
    }

    void begin() {
        // The deadline covers the TLS handshake and the RawSocket handshake
        // together: handshaken_ is set once the latter is in.
        timer_.expires_after(options_.handshake_timeout);
        timer_.async_wait(
            asio::bind_executor(strand_, [self = this->shared_from_this()](error_code ec) {
                if (!ec && !self->handshaken_) {
                    self->closed_by_us(router::TransportClose::handshake_timeout);
                    self->shutdown_now();
                }
            }));
        if constexpr (tls)
            socket_.async_handshake(
                asio::ssl::stream_base::server,
                asio::bind_executor(strand_, [self = this->shared_from_this()](error_code ec) {
                    if (ec || self->stopped_) return self->shutdown_now();
                    self->read_handshake();
                }));
        else
            read_handshake();
    }

    void shutdown() override {
        asio::post(strand_, [self = this->shared_from_this()] { self->shutdown_now(); });
    }

    void drain(Clock::time_point deadline, DrainToken token) override {
        asio::post(strand_, [self = this->shared_from_this(), deadline,
                             token = std::move(token)]() mutable {
            if (self->stopped_) return;
            self->drain_token_ = std::move(token);
            if (!self->connection_) return self->shutdown_now(); // no WAMP session yet
            self->drain_timer_ = std::make_unique<asio::steady_timer>(self->strand_, deadline);
            self->drain_timer_->async_wait(
                asio::bind_executor(self->strand_, [self](error_code ec) {
                    if (!ec) self->shutdown_now();
                }));
            self->closing_ = true;
            self->write_more();
        });
    }

    // router::Peer, through a weak adapter (below): both only schedule work.
    void wake() {
        // Woken by a message we are handing to the router right now (a reply
        // to this very peer): the read batch writes when it ends, no post.
        // in_frames_ is only touched on the strand, and the check before it
        // makes sure we are on it.
        if (strand_.running_in_this_thread() && in_frames_) {
            write_due_ = true;
            return;
        }
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
    void abort_requested() {
        asio::post(strand_, [self = this->shared_from_this()] {
            reset_on_close(self->socket_.lowest_layer().native_handle());
            self->shutdown_now();
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
        void abort() override {
            if (auto s = session.lock()) s->abort_requested();
        }
    };

    void read_handshake() {
        asio::async_read(socket_, asio::buffer(handshake_),
                         asio::bind_executor(strand_, [self = this->shared_from_this()](
                                                          error_code ec, std::size_t n) {
                             self->transferred(n, 0);
                             self->on_handshake(ec);
                         }));
    }

    void on_handshake(error_code ec) {
        if (ec || stopped_) return shutdown_now();
        handshaken_ = true;
        timer_.cancel();
        const HandshakeAnswer answer = answer_handshake(handshake_, options_.max_message_size);
        // Anything but the magic octet is not RawSocket: close without reply.
        if (answer.kind == HandshakeAnswer::not_rawsocket) return shutdown_now();
        reply_ = answer.reply;
        if (answer.kind == HandshakeAnswer::refuse) {
            asio::async_write(socket_, asio::buffer(reply_),
                              asio::bind_executor(strand_, [self = this->shared_from_this()](
                                                               error_code, std::size_t n) {
                                  self->transferred(0, n);
                                  self->shutdown_now();
                              }));
            return;
        }
        format_ = answer.format;
        peer_max_ = answer.peer_max;
        our_max_ = answer.our_max;

        auto peer = std::make_shared<WeakPeer>();
        peer->session = this->weak_from_this();
        router::TransportInfo info{.type = "rawsocket",
                                   .protocol = std::string(wamp::websocket_subprotocol(format_)),
                                   .peer = peer_name_};
        if constexpr (tls) {
            info.channel_ids = tls_channel_ids(socket_.native_handle(), true);
            info.client_certificate = verified_client_certificate(socket_.native_handle());
        }
        connection_ = router_.attach(peer, std::move(info), options_.out_queue_size);
        asio::async_write(socket_, asio::buffer(reply_),
                          asio::bind_executor(strand_, [self = this->shared_from_this()](
                                                           error_code ec, std::size_t n) {
                              self->transferred(0, n);
                              if (ec) return self->shutdown_now();
                              if (self->idle_.enabled()) {
                                  self->idle_.heard();
                                  self->arm_idle_timer(self->idle_.first_check());
                              }
                              self->read_more();
                          }));
    }

    // Liveness (idle_timeout): see idle_watch.hpp.
    void arm_idle_timer(Clock::duration after) {
        timer_.expires_after(after);
        // A wait that already completed cannot be cancelled: its handler
        // recognises by the generation that it was replaced.
        timer_.async_wait(
            asio::bind_executor(strand_, [self = this->shared_from_this(),
                                          generation = ++timer_generation_](error_code ec) {
                if (ec || self->stopped_ || generation != self->timer_generation_) return;
                self->on_idle_timer();
            }));
    }

    void on_idle_timer() {
        const IdleWatch::Step step = idle_.check();
        if (step.close) {
            closed_by_us(router::TransportClose::idle_timeout);
            return shutdown_now();
        }
        if (step.ping) {
            ping_due_ = true;
            write_more();
        }
        arm_idle_timer(step.next);
    }

    // Makes room behind the unconsumed bytes (moving a partial frame to the
    // front) and reads whatever the socket has.
    void read_more() {
        socket_.async_read_some(in_.prepare(),
                                asio::bind_executor(strand_, [self = this->shared_from_this()](
                                                                 error_code ec, std::size_t n) {
                                    self->on_read(ec, n);
                                }));
    }

    void on_read(error_code ec, std::size_t n) {
        transferred(n, 0);
        if (ec || stopped_) return ended(ec);
        idle_.heard(); // any bytes from the peer prove it alive
        in_.commit(n);
        handle_frames();
    }

    // Hands the complete frames in the buffer to the router, a turn of the
    // event loop at a time (read_turns.hpp), then reads again.
    void handle_frames() {
        in_frames_ = true;
        const std::size_t limit = ReadTurns::limit();
        for (std::size_t handled = 0; !stopped_ && in_.size() >= 4; ++handled) {
            if (handled == limit) {
                end_of_frames();
                asio::post(strand_, [self = this->shared_from_this()] {
                    if (!self->stopped_) self->handle_frames();
                });
                return;
            }
            const auto* h = reinterpret_cast<const std::uint8_t*>(in_.data());
            const FrameHeader header = parse_frame_header(h, our_max_);
            const FrameType type = header.type;
            const std::size_t length = header.length;
            // Over our limit, an unknown type or a reserved bit set: close, no ABORT (spec).
            if (header.problem != FrameProblem::none) {
                in_frames_ = false;
                return shutdown_now();
            }
            const std::size_t have = in_.size() - 4;
            if (have < length) {
                if (4 + length > ReadBuffer::max_capacity) {
                    in_frames_ = false;
                    return read_large(static_cast<FrameType>(type), length, have);
                }
                in_.reserve(4 + length);
                break;
            }
            const char* body = in_.data() + 4;
            in_.consume(4 + length);
            on_frame(static_cast<FrameType>(type), std::string_view(body, length));
        }
        end_of_frames();
        if (!stopped_) read_more();
    }

    // A frame larger than the read buffer: its body goes into its own string,
    // the bytes already buffered first, the rest read straight into it.
    void read_large(FrameType type, std::size_t length, std::size_t have) {
        auto body = std::make_shared<std::string>(length, '\0');
        std::memcpy(body->data(), in_.data() + 4, have);
        in_.clear();
        end_of_frames(); // what came before this frame may have woken us
        // Each part of a long frame proves the peer alive, not only its end.
        auto progress = [this](const error_code& ec, std::size_t n) -> std::size_t {
            if (ec) return 0;
            if (n > 0) idle_.heard();
            return 65536; // what transfer_all() asks of each read_some
        };
        asio::async_read(socket_, asio::buffer(body->data() + have, length - have), progress,
                         asio::bind_executor(strand_, [self = this->shared_from_this(), body,
                                                       type](error_code ec, std::size_t n) mutable {
                             self->transferred(n, 0);
                             if (ec || self->stopped_) return self->shutdown_now();
                             self->in_frames_ = true;
                             self->on_frame(type, std::move(body));
                             self->end_of_frames();
                             if (!self->stopped_) self->read_more();
                         }));
    }

    void on_frame(FrameType type, std::string_view body) {
        if (type == ping || (type == regular && connection_))
            on_frame(type, std::make_shared<std::string>(body));
    }

    void on_frame(FrameType type, std::shared_ptr<std::string> body) {
        if (type == ping) {
            pongs_.push_back(std::move(body));
            write_due_ = true;
        } else if (type == regular && connection_) {
            auto message = serialize::decode(format_, std::shared_ptr<const std::string>(body),
                                             options_.limits);
            if (message)
                connection_->receive(std::move(*message));
            else
                connection_->receive_garbage(message.error().message);
        }
    }

    void end_of_frames() {
        ReadTurns::worked();
        in_frames_ = false;
        if (write_due_) {
            write_due_ = false;
            write_more();
        }
    }

    // Appends one frame to the batch being built: the header always into the
    // staging buffer, the body too unless it is large.
    void stage(FrameType type, const std::shared_ptr<const std::string>& body) {
        const auto header = frame_header(type, body->size());
        staging_.append(reinterpret_cast<const char*>(header.data()), header.size());
        if (body->size() <= copy_limit) {
            staging_.append(*body);
        } else {
            pieces_.push_back({staging_.size(), body.get()});
            held_.push_back(body);
        }
        batch_bytes_ += 4 + body->size();
        ++batch_messages_;
    }

    // Writes queued PONGs and router messages, everything queued (up to the
    // batch bounds) in one gathered write at a time.
    void write_more() {
        if (writing_ || stopped_ || !connection_) return;
        staging_.clear();
        pieces_.clear();
        batch_bytes_ = 0;
        batch_messages_ = 0;
        for (auto& p : pongs_)
            stage(pong, p);
        pongs_.clear();
        if (ping_due_) {
            static const auto empty = std::make_shared<const std::string>();
            stage(ping, empty);
            ping_due_ = false;
        }
        while (batch_bytes_ < write_batch_bytes && connection_->take(taken_, take_chunk) > 0) {
            for (router::OutgoingPtr& out : taken_) {
                auto bytes = out->encoded(format_);
                // A message this peer cannot take (too large, or not encodable in
                // its format) is skipped; the session goes on, and the router
                // answers in its place where someone waits for it.
                if (!bytes || (*bytes)->size() > peer_max_) {
                    ++skipped_;
                    connection_->undeliverable(out, bytes ? router::Undeliverable::too_large
                                                          : router::Undeliverable::unencodable);
                    continue;
                }
                stage(regular, *bytes);
            }
            taken_.clear();
        }
        if (batch_messages_ == 0) {
            if (closing_ && drain_token_) return half_close();
            if (closing_) shutdown_now();
            return;
        }
        // Only now that staging_ no longer grows can its pieces be pointed at.
        buffers_.clear();
        std::size_t from = 0;
        for (const Piece& piece : pieces_) {
            buffers_.push_back(asio::buffer(staging_.data() + from, piece.staged_end - from));
            buffers_.push_back(asio::buffer(*piece.body));
            from = piece.staged_end;
        }
        if (staging_.size() > from)
            buffers_.push_back(asio::buffer(staging_.data() + from, staging_.size() - from));
        writing_ = true;
        write_deadline_.begin(this->shared_from_this(), [this] { write_timed_out(); });
        asio::async_write(socket_, buffers_, ReportProgress(write_deadline_),
                          asio::bind_executor(strand_, [self = this->shared_from_this()](
                                                           error_code ec, std::size_t n) {
                              ReadTurns::worked();
                              self->transferred(0, n);
                              self->writing_ = false;
                              self->write_deadline_.end();
                              self->held_.clear();
                              // A burst may have grown the staging buffer; do not keep
                              // that much per connection once traffic is small again.
                              if (self->staging_.capacity() > 4 * copy_threshold &&
                                  self->batch_bytes_ < copy_threshold)
                                  std::string().swap(self->staging_);
                              if (ec) return self->ended(ec);
                              self->write_more();
                          }));
        ReadTurns::worked();
    }

    void transferred(std::size_t received, std::size_t sent) {
        if (received || sent) meter_->transferred(received, sent);
    }
    void closed_by_us(router::TransportClose why) { meter_->closed(why); }

    // Draining: everything is written; our FIN follows it, and the peer's end
    // of the stream (or the drain deadline) closes the connection. Closing at
    // once could answer a message still in flight from the peer with a reset,
    // which may discard what we wrote before it reaches the peer.
    void half_close() {
        error_code ignored;
        socket_.lowest_layer().shutdown(asio::socket_base::shutdown_send, ignored);
    }

    // Reported once, even when the session already stopped: the kernel's
    // ETIMEDOUT goes to one of the read and the write, and the other one's
    // error (operation_aborted, EOF) may have been handled first.
    void write_timed_out() {
        if (std::exchange(write_timeout_reported_, true)) return shutdown_now();
        closed_by_us(router::TransportClose::write_timeout);
        router_.log(router::RouterLogLevel::warning,
                    "RawSocket " + peer_name_ + ": closed, it took no data for " +
                        std::to_string(options_.write_timeout.count()) + " ms");
        if (!stopped_) reset_on_close(socket_.lowest_layer().native_handle());
        shutdown_now();
    }

    // A read or write failed. ETIMEDOUT is the kernel's TCP_USER_TIMEOUT
    // (twice write_timeout): the peer took nothing for that long, the write
    // deadline's verdict as well, whichever came first.
    void ended(error_code ec) {
        if (ec == asio::error::timed_out && options_.write_timeout.count() > 0)
            return write_timed_out();
        shutdown_now();
    }

    void shutdown_now() {
        if (stopped_) return;
        stopped_ = true;
        timer_.cancel();
        if (drain_timer_) drain_timer_->cancel();
        write_deadline_.cancel();
        drain_token_.reset();
        error_code ignored;
        // Without a TLS close_notify: this is a hard close (a protocol error,
        // the router's request or server stop), nothing is waited for.
        socket_.lowest_layer().shutdown(asio::socket_base::shutdown_both, ignored);
        socket_.lowest_layer().close(ignored);
        slot_.release();
        if (connection_) {
            connection_->disconnected();
            connection_.reset();
        }
    }

    ConnectionSlot slot_;                             // under the listener's caps while open
    std::shared_ptr<asio::ssl::context> tls_context_; // outlives socket_
    Socket socket_;
    asio::strand<asio::any_io_executor> strand_;
    asio::steady_timer timer_;
    WriteDeadline write_deadline_;
    router::Router& router_;
    // Counts bytes and closes; unlike router_, safe to use when the session
    // outlives its server's stop() and the router.
    const std::shared_ptr<router::TransportMeter> meter_;
    const RawSocketOptions options_;
    const std::string peer_name_;
    std::unique_ptr<router::Connection> connection_;

    std::array<std::uint8_t, 4> handshake_{};
    std::array<std::uint8_t, 4> reply_{};
    wamp::Format format_ = wamp::Format::json;
    std::size_t our_max_ = 0;
    std::size_t peer_max_ = 0;

    ReadBuffer in_;

    std::atomic<bool> drain_scheduled_{false};
    bool handshaken_ = false;
    bool ping_due_ = false; // a keepalive PING goes out with the next write
    IdleWatch idle_{options_.idle_timeout};
    std::uint64_t timer_generation_ = 0;
    bool in_frames_ = false; // handing a read batch to the router
    bool write_due_ = false; // something to write once that batch is done
    bool writing_ = false;
    bool closing_ = false;
    bool stopped_ = false;
    bool write_timeout_reported_ = false;
    std::uint64_t skipped_ = 0;

    // Write batch: staging_ holds headers and small bodies back to back;
    // pieces_ marks where a large body (kept alive by held_) goes in between.
    struct Piece {
        std::size_t staged_end; // staging_ bytes that go before this body
        const std::string* body;
    };
    std::vector<std::shared_ptr<std::string>> pongs_;
    std::vector<router::OutgoingPtr> taken_;
    std::string staging_;
    std::vector<Piece> pieces_;
    std::vector<std::shared_ptr<const std::string>> held_;
    std::vector<asio::const_buffer> buffers_;
    std::size_t batch_bytes_ = 0;
    std::size_t batch_messages_ = 0;

    // The server's stop(grace): the deadline (made only then: most
    // connections never drain), and what tells it we closed.
    std::unique_ptr<asio::steady_timer> drain_timer_;
    DrainToken drain_token_;
};

} // namespace

struct RawSocketServer::Impl : std::enable_shared_from_this<RawSocketServer::Impl> {
    Impl(asio::any_io_executor ex, router::Router& r, RawSocketOptions o)
        : executor(ex), router(r), options(std::move(o)), accept_strand(asio::make_strand(ex)),
          tcp(accept_strand), unix_acceptor(accept_strand) {
        if (options.tls.enabled()) tls = std::make_unique<ServerTls>(options.tls);
    }

    // Stops accepting, then hands each open connection to `each` (none: closes it).
    void stop(const std::function<void(SessionBase&)>& each);

    asio::any_io_executor executor;
    router::Router& router;
    RawSocketOptions options;
    // Acceptors are not thread-safe: their accepts, retries and close run on
    // this strand (the acceptors' own executor, so their handlers do too).
    asio::strand<asio::any_io_executor> accept_strand;
    // Made by start(), which knows the bound port.
    ConnectionLimits tcp_limits;
    ConnectionLimits unix_limits;
    std::unique_ptr<ServerTls> tls; // null: plain TCP
    asio::ip::tcp::acceptor tcp;
    asio::ip::tcp::endpoint peer; // of the accept under way
    asio::local::stream_protocol::acceptor unix_acceptor;
    AcceptRetry tcp_retry{"RawSocket " + options.tcp_address};
    AcceptRetry unix_retry{"RawSocket unix:" + options.unix_path};
    std::mutex mutex;
    ConnectionList<SessionBase> sessions;
    bool stopped = false;

    // Whether `s` may start: not once stop() has taken the list of open
    // connections (it would never close s). Checked under the lock that
    // stop() sets `stopped` under, since the accept handlers run on the
    // executor's threads and stop() on any.
    bool track(const std::shared_ptr<SessionBase>& s) {
        std::lock_guard lock(mutex);
        if (stopped) return false;
        sessions.add(s);
        return true;
    }

    // Accepted sockets inherit TCP_NODELAY, the keepalive settings and
    // TCP_USER_TIMEOUT from the listening socket (Linux copies them at
    // accept), so they are set once here rather than with six system calls
    // per connection.
    void configure_listener() {
        error_code ignored;
        tcp.set_option(asio::ip::tcp::no_delay(true), ignored);
        if (options.tcp_keepalive.count() > 0) keepalive(tcp, options.tcp_keepalive);
        tcp_user_timeout(tcp.native_handle(), server_user_timeout(options.write_timeout));
    }

    void accept_tcp() {
        // The peer's address comes with the accept (no getpeername per connection).
        tcp.async_accept(
            peer, [self = shared_from_this()](error_code ec, asio::ip::tcp::socket socket) {
                if (ec == asio::error::operation_aborted || self->stopped_under_lock()) return;
                if (!ec) {
                    const auto remote = self->peer;
                    auto slot =
                        self->tcp_limits.admit(remote.address(), describe(remote), self->router);
                    std::shared_ptr<SessionBase> s; // not make_shared: see connection_list.hpp
                    if (!slot)
                        close_refused(socket);
                    else if (auto context = self->tls ? self->tls->current() : nullptr)
                        s.reset(new RawSession<TlsSocket>(TlsSocket(std::move(socket), *context),
                                                          context, self->router, self->options,
                                                          describe(remote), std::move(*slot)));
                    else
                        s.reset(new RawSession<asio::ip::tcp::socket>(
                            std::move(socket), nullptr, self->router, self->options,
                            describe(remote), std::move(*slot)));
                    if (s && self->track(s)) s->start(); // else closed as it goes
                }
                // Accept errors (e.g. out of file descriptors) must not stop the server.
                self->tcp_retry.next(
                    ec, self->router, self->accept_strand, [self] { self->accept_tcp(); },
                    [self] { return self->stopped_under_lock(); });
            });
    }

    void accept_unix() {
        unix_acceptor.async_accept([self = shared_from_this()](
                                       error_code ec, asio::local::stream_protocol::socket socket) {
            if (ec == asio::error::operation_aborted || self->stopped_under_lock()) return;
            const std::string peer = "unix:" + self->options.unix_path;
            std::optional<ConnectionSlot> slot;
            if (!ec && !(slot = self->unix_limits.admit(std::nullopt, peer, self->router)))
                close_refused(socket);
            if (slot) {
                // Not make_shared: see connection_list.hpp.
                std::shared_ptr<SessionBase> s(new RawSession<asio::local::stream_protocol::socket>(
                    std::move(socket), nullptr, self->router, self->options, peer,
                    std::move(*slot)));
                if (self->track(s)) s->start(); // else closed as it goes
            }
            self->unix_retry.next(
                ec, self->router, self->accept_strand, [self] { self->accept_unix(); },
                [self] { return self->stopped_under_lock(); });
        });
    }

    // A connection over a cap: closed before anything is read from it.
    template <class Socket> static void close_refused(Socket& socket) {
        error_code ignored;
        socket.close(ignored);
    }

    bool stopped_under_lock() {
        std::lock_guard lock(mutex); // stop() sets `stopped` under it
        return stopped;
    }

    // TCP keepalive: the first probe after `interval` of silence, then one
    // every `interval`, and 3 unanswered ones end the connection (instead of
    // the kernel's defaults: 2 hours, 75 s, 9).
    template <class Socket> static void keepalive(Socket& socket, std::chrono::seconds interval) {
        error_code ignored;
        socket.set_option(asio::socket_base::keep_alive(true), ignored);
        const int seconds = static_cast<int>(std::min<std::int64_t>(interval.count(), 32767));
        const int probes = 3;
        ::setsockopt(socket.native_handle(), IPPROTO_TCP, TCP_KEEPIDLE, &seconds, sizeof seconds);
        ::setsockopt(socket.native_handle(), IPPROTO_TCP, TCP_KEEPINTVL, &seconds, sizeof seconds);
        ::setsockopt(socket.native_handle(), IPPROTO_TCP, TCP_KEEPCNT, &probes, sizeof probes);
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
        impl_->tcp_limits = ConnectionLimits(
            (impl_->tls ? "tcps://" : "tcp://") + host_port(impl_->tcp.local_endpoint()),
            impl_->options.max_connections, impl_->options.max_connections_per_address);
        impl_->configure_listener();
        impl_->accept_tcp();
    }
    if (!impl_->options.unix_path.empty()) {
        ::unlink(impl_->options.unix_path.c_str());
        asio::local::stream_protocol::endpoint endpoint(impl_->options.unix_path);
        listen(impl_->unix_acceptor, endpoint, impl_->options.unix_path);
        impl_->unix_limits = ConnectionLimits("unix://" + impl_->options.unix_path,
                                              impl_->options.max_connections, 0);
        impl_->accept_unix();
    }
}

void RawSocketServer::Impl::stop(const std::function<void(SessionBase&)>& each) {
    std::vector<std::shared_ptr<SessionBase>> live;
    {
        std::lock_guard lock(mutex);
        if (stopped) return;
        stopped = true;
        live = sessions.take_open();
    }
    if (!options.unix_path.empty()) ::unlink(options.unix_path.c_str());
    // Acceptors are not thread-safe: closed on their strand.
    asio::post(accept_strand, [self = shared_from_this()] {
        error_code ignored;
        self->tcp.close(ignored);
        self->unix_acceptor.close(ignored);
    });
    for (auto& s : live)
        if (each)
            each(*s);
        else
            s->shutdown();
}

void RawSocketServer::stop() { impl_->stop(nullptr); }

void RawSocketServer::stop(std::chrono::milliseconds grace, std::function<void()> done) {
    const auto deadline = Clock::now() + grace;
    auto token = make_drain_token(impl_->executor, std::move(done));
    impl_->stop([&](SessionBase& s) { s.drain(deadline, token); });
}

void RawSocketServer::reload_tls() {
    if (impl_->tls) impl_->tls->reload();
}

bool RawSocketServer::tls() const { return impl_->tls != nullptr; }

std::uint16_t RawSocketServer::tcp_port() const {
    error_code ec;
    auto ep = impl_->tcp.local_endpoint(ec);
    return ec ? 0 : ep.port();
}

} // namespace nexus::transport
