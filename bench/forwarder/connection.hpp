// One RawSocket connection to the forwarder: handshake, join, then frames in
// and out. Frames are never parsed: each read's complete frames are copied
// once into a shared block that every receiver of the channel writes as is.
#pragma once

#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "channel.hpp"

namespace forwarder {

using Block = std::shared_ptr<const std::string>;

class Connection : public std::enable_shared_from_this<Connection> {
public:
    Connection(boost::asio::ip::tcp::socket socket, Channels& channels);
    void start();
    /// Queues `block` for writing; callable from any thread.
    void deliver(Block block);

private:
    void read_handshake();
    void read_join();
    void read_frames();
    void write_some();
    void close();

    boost::asio::ip::tcp::socket socket_;
    Channels& channels_;
    Channel* channel_ = nullptr;
    unsigned char handshake_[4]{};
    std::vector<char> in_;
    std::size_t filled_ = 0;

    std::mutex out_mutex_;
    std::vector<Block> queued_; // guarded by out_mutex_
    bool writing_ = false;      // guarded by out_mutex_
    std::vector<Block> writing_blocks_;
    std::vector<boost::asio::const_buffer> buffers_;
    bool closed_ = false;
};

} // namespace forwarder
