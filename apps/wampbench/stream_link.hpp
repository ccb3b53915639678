// What RawSocket and WebSocket links share once their handshake is done: a
// TCP socket, a read buffer that every read fills and the framing takes
// complete frames from (so one read delivers a whole batch), and one gathered
// write of everything queued since the last one.
#pragma once

#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "link.hpp"

namespace wampbench {

class StreamLink : public Link {
public:
    void flush() final;
    void close() final;

protected:
    StreamLink(boost::asio::io_context& io, const Target& target);

    /// Connects to the target (TCP_NODELAY), then `then` (or done(error)).
    void connect_tcp(Connected done, std::function<void(Connected)> then);
    /// Starts the read loop: call once the handshake is done.
    void read();
    /// Takes every complete frame from in_[0, filled_) to the handler; returns
    /// the bytes used. A frame larger than the buffer: grow in_ to `need`.
    virtual std::size_t consume(char* data, std::size_t size, std::size_t& need) = 0;
    void fail(std::string_view why);

    boost::asio::ip::tcp::socket socket_;
    const Target& target_;
    std::string pending_; // frames queued by end_frame
    bool closed_ = false;

private:
    std::vector<char> in_; // received bytes, [0, filled_) valid
    std::size_t filled_ = 0;
    std::string writing_; // frames being written
    bool writing_now_ = false;
};

} // namespace wampbench
