// Link over RawSocket (TCP): the 4-byte handshake, then frames of a 4-byte
// header (type, 24-bit length) and the message (transport_rawsocket.md).
#pragma once

#include "stream_link.hpp"

namespace wampbench {

class RawSocketLink final : public StreamLink {
public:
    RawSocketLink(boost::asio::io_context& io, const Target& target);
    void connect(Connected done) override;
    std::string& begin_frame() override;
    void end_frame() override;

private:
    void handshake(Connected done);
    std::size_t consume(char* data, std::size_t size, std::size_t& need) override;

    std::size_t max_out_ = 1u << 24; // what the other side accepts (its handshake)
    std::size_t frame_start_ = 0;
    unsigned char hs_[4]{};
};

} // namespace wampbench
