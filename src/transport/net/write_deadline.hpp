// Closes a connection whose peer stopped reading. When the router's queue for
// a peer drops events rather than disconnecting it, nothing else would ever
// notice that the socket takes no more bytes: the connection and the batch
// being written to it would stay forever.
//
// The deadline is on progress, not on whole writes: a slow link that keeps
// taking bytes is never cut off, however large the batch. Progress is a
// socket write that took bytes or, checked when the deadline comes, a change
// in the kernel's send queue (the peer acknowledged data): a slow reader
// facing a large send buffer is woken for writing only once half of it has
// drained, which can take longer than the limit. One timer per connection,
// armed only while a write is in flight and re-armed about once per limit,
// so a busy connection pays a clock read per socket write, not a timer
// operation or a system call.
#pragma once

#include <chrono>
#include <memory>
#include <utility>

#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>

namespace nexus::transport {

class WriteDeadline {
public:
    using Clock = std::chrono::steady_clock;

    /// `executor`: the connection's strand (every call below is made on it);
    /// `socket`: its descriptor. A zero `limit` turns the deadline off.
    template <class Executor>
    WriteDeadline(const Executor& executor, int socket, std::chrono::milliseconds limit)
        : timer_(executor), socket_(socket), limit_(limit) {}

    /// A write begins. If the socket then takes no byte for `limit`,
    /// `expired()` runs on the strand; `owner` is kept alive until then.
    template <class Owner, class Expired>
    void begin(const std::shared_ptr<Owner>& owner, Expired expired) {
        if (limit_.count() == 0) return;
        in_flight_ = true;
        last_progress_ = Clock::now();
        if (!armed_) arm(owner, std::move(expired));
    }
    /// The socket took some bytes of the write in flight.
    void progress() {
        if (in_flight_) last_progress_ = Clock::now();
    }
    /// The write completed (or failed).
    void end() { in_flight_ = false; }
    /// The connection is closing: no more expiry.
    void cancel() {
        in_flight_ = false;
        timer_.cancel();
    }

private:
    template <class Owner, class Expired> void arm(std::shared_ptr<Owner> owner, Expired expired) {
        sample();
        wait_until(last_progress_ + limit_, std::move(owner), std::move(expired));
    }

    template <class Owner, class Expired>
    void wait_until(Clock::time_point when, std::shared_ptr<Owner> owner, Expired expired) {
        armed_ = true;
        timer_.expires_at(when);
        timer_.async_wait([this, owner = std::move(owner),
                           expired = std::move(expired)](boost::system::error_code ec) mutable {
            armed_ = false;
            if (ec || !in_flight_) return;
            const auto now = Clock::now();
            if (now - last_progress_ < limit_) return arm(std::move(owner), std::move(expired));
            // No write progress for the whole limit: did the peer take
            // anything since the last sample? An empty send queue means it
            // took everything (the wait is ours, not its).
            const long unsent = unsent_bytes(socket_);
            if (unsent == 0 || unsent != unsent_) {
                last_progress_ = now;
                return arm(std::move(owner), std::move(expired));
            }
            // Unchanged, but perhaps sampled less than a limit ago.
            if (now - sampled_at_ < limit_)
                return wait_until(sampled_at_ + limit_, std::move(owner), std::move(expired));
            expired();
        });
    }

    void sample() {
        unsent_ = unsent_bytes(socket_);
        sampled_at_ = Clock::now();
    }

    /// Bytes in the socket's send queue not yet taken by the peer (-1 when
    /// the kernel cannot tell).
    static long unsent_bytes(int socket);

    boost::asio::steady_timer timer_;
    const int socket_;
    const std::chrono::milliseconds limit_;
    long unsent_ = -1; // the send queue's length at sampled_at_
    Clock::time_point sampled_at_{};
    Clock::time_point last_progress_{};
    bool in_flight_ = false;
    bool armed_ = false;
};

/// Makes closing `socket` reset the connection (SO_LINGER 0): what is still
/// queued for a peer that stopped reading would otherwise hold kernel memory
/// (and the peer would see no end) until TCP gave up on it.
void reset_on_close(int socket);

/// A server's TCP_USER_TIMEOUT for its `write_timeout` (0 stays 0): twice
/// it, so that a peer that stopped reading meets the write deadline first
/// (closed with its log line, by the deadline's notion of progress), and the
/// kernel bounds what the deadline does not watch.
inline std::chrono::milliseconds server_user_timeout(std::chrono::milliseconds write_timeout) {
    return write_timeout * 2;
}

/// Sets TCP_USER_TIMEOUT to `limit` (nothing for 0): the
/// kernel then drops the connection once data it sent has gone
/// unacknowledged (or the peer's window has stayed shut) for that long.
/// WriteDeadline only looks while we write; this also covers a peer that
/// vanished (power, network) with our last bytes unacknowledged, which TCP
/// would otherwise retransmit to for ~15 minutes, and a vanished peer that
/// keepalive probes: with both, the first unanswered probe past `limit`
/// ends the connection. A listening socket passes it on to the sockets it
/// accepts (Linux copies it at accept).
void tcp_user_timeout(int socket, std::chrono::milliseconds limit);

/// A completion condition for asio::async_write that reports each partial
/// write to `deadline` and otherwise transfers everything, as transfer_all().
class ReportProgress {
public:
    explicit ReportProgress(WriteDeadline& deadline) : deadline_(&deadline) {}
    std::size_t operator()(const boost::system::error_code& ec, std::size_t transferred) const {
        if (ec) return 0;
        if (transferred > 0) deadline_->progress();
        return 65536; // what transfer_all() asks of each write_some
    }

private:
    WriteDeadline* deadline_;
};

} // namespace nexus::transport
