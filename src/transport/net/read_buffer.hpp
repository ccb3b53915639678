// A connection's read buffer, for transports that frame their own messages
// (RawSocket, WebSocket after the upgrade): one read brings as many bytes as
// the socket holds, every complete frame in them is handled before the next
// read (read_turns.hpp says how many per turn), and a partial frame stays at
// the front.
//
// It starts small (an idle connection costs little: 512 B rather than 2 KiB
// is 1.5 KiB less per idle session, a third of it) and doubles whenever a
// read fills it, up to max_capacity; a frame needing more room asks for it
// with reserve(). Frames larger than max_capacity are the transport's to read
// elsewhere, so the buffer never grows to the maximum message size.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstring>
#include <memory>

#include <boost/asio/buffer.hpp>

namespace nexus::transport {

class ReadBuffer {
public:
    static constexpr std::size_t initial_capacity = 512;
    static constexpr std::size_t max_capacity = 64 * 1024;

    /// Where the next read goes: the room behind the unhandled bytes (moved
    /// to the front first), the buffer grown to what was reserved.
    boost::asio::mutable_buffer prepare() {
        if (begin_ == end_) {
            begin_ = end_ = 0;
        } else if (begin_ > 0) {
            std::memmove(bytes_.get(), bytes_.get() + begin_, end_ - begin_);
            end_ -= begin_;
            begin_ = 0;
        }
        if (want_ > capacity_) {
            auto bigger = std::make_unique_for_overwrite<char[]>(want_);
            if (end_ > 0) std::memcpy(bigger.get(), bytes_.get(), end_);
            bytes_ = std::move(bigger);
            capacity_ = want_;
        }
        return {bytes_.get() + end_, capacity_ - end_};
    }

    /// `n` bytes were read into prepare()'s buffer. A read that filled it
    /// suggests more was waiting: the next one gets twice the room.
    void commit(std::size_t n) {
        if (end_ + n == capacity_) reserve(std::min(2 * capacity_, max_capacity));
        end_ += n;
    }

    /// The received bytes not yet handled.
    char* data() { return bytes_.get() + begin_; }
    std::size_t size() const { return end_ - begin_; }
    /// The first `n` of them are handled.
    void consume(std::size_t n) { begin_ += n; }
    /// All of them are handled (or taken elsewhere).
    void clear() { begin_ = end_ = 0; }

    /// Room for at least `n` bytes (rounded up to a power of two) from the
    /// next prepare() on.
    void reserve(std::size_t n) { want_ = std::max(want_, std::bit_ceil(n)); }

private:
    std::unique_ptr<char[]> bytes_;
    std::size_t capacity_ = 0;
    std::size_t want_ = initial_capacity;
    std::size_t begin_ = 0;
    std::size_t end_ = 0;
};

} // namespace nexus::transport
