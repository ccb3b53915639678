// Link over RawSocket (TCP): the 4-byte handshake, then frames of a 4-byte
// header (type, 24-bit length) and the message (transport_rawsocket.md).
#pragma once

#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "link.hpp"

namespace wampbench {

class RawSocketLink final : public Link {
public:
    RawSocketLink(boost::asio::io_context& io, const Target& target);
    void connect(Connected done) override;
    std::string& begin_frame() override;
    void end_frame() override;
    void flush() override;
    void close() override;

private:
    void handshake(Connected done);
    void read();
    void consume();
    void fail(std::string_view why);

    boost::asio::ip::tcp::socket socket_;
    const Target& target_;
    std::vector<char> in_; // received bytes, [0, filled_) valid
    std::size_t filled_ = 0;
    std::size_t max_out_ = 1u << 24; // what the other side accepts (its handshake)
    std::string pending_;            // frames queued by end_frame
    std::string writing_;            // frames being written
    std::size_t frame_start_ = 0;
    bool writing_now_ = false;
    bool closed_ = false;
    unsigned char hs_[4]{};
};

} // namespace wampbench
