// One framed connection to a router (or to the forwarder): the transport seen
// by the bench sessions. Frames are built in place in the link's send buffer
// (begin_frame/end_frame) and written in batches by flush(), which the link
// also does itself after handling each batch of received frames. Everything
// of one link runs on the single thread of its io_context: no locks.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/system/error_code.hpp>

#include <nexus/wamp/format.hpp>

#include "target.hpp"

namespace wampbench {

class Link {
public:
    struct Handler {
        virtual void on_frame(std::string_view frame) = 0;
        /// Called after each batch of on_frame calls (one network read).
        virtual void on_batch_end() {}
        /// The connection failed or was closed by the other side.
        virtual void on_closed(std::string_view why) = 0;

    protected:
        ~Handler() = default;
    };
    using Connected = std::function<void(const boost::system::error_code&, std::string_view why)>;

    virtual ~Link() = default;
    /// Connects and performs the transport handshake; then reads until close().
    virtual void connect(Connected done) = 0;
    /// Returns the buffer to append one frame's bytes to, then call end_frame().
    virtual std::string& begin_frame() = 0;
    virtual void end_frame() = 0;
    /// Starts writing what end_frame() queued, unless a write is under way
    /// (its completion writes the rest).
    virtual void flush() = 0;
    virtual void close() = 0;
    /// Stops reading (after the read under way): the bench's stalled consumer.
    void stop_reading() { reading_stopped_ = true; }

protected:
    bool reading_stopped_ = false;

public:
    void set_handler(Handler* handler) { handler_ = handler; }

protected:
    Handler* handler_ = nullptr;
};

std::unique_ptr<Link> make_link(boost::asio::io_context& io, const Target& target);

} // namespace wampbench
