// random_id(): uniform in [1, 2^53] from the kernel's CSPRNG.
//
// Bytes are fetched with getrandom(2) a page at a time into a per-thread
// buffer, so most ids cost no system call. After fork() a child inherits a
// copy of the parent's unused buffer; nexus does not fork, and a program
// that does must not hand out ids from both processes.
#include <nexus/wamp/id.hpp>

#include <sys/random.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace nexus::wamp {

namespace {

class RandomBuffer {
public:
    std::uint64_t next64() {
        if (pos_ + sizeof(std::uint64_t) > sizeof buffer_) refill();
        std::uint64_t v;
        std::memcpy(&v, buffer_ + pos_, sizeof v);
        pos_ += sizeof v;
        return v;
    }

private:
    void refill() {
        std::size_t filled = 0;
        while (filled < sizeof buffer_) {
            const ssize_t n = getrandom(buffer_ + filled, sizeof buffer_ - filled, 0);
            if (n < 0) {
                if (errno == EINTR) continue;
                // Predictable ids would let peers guess sessions and publications.
                std::fprintf(stderr, "nexus: getrandom failed: %s\n", std::strerror(errno));
                std::abort();
            }
            filled += static_cast<std::size_t>(n);
        }
        pos_ = 0;
    }

    unsigned char buffer_[4096];
    std::size_t pos_ = sizeof buffer_;
};

} // namespace

Id random_id() {
    thread_local RandomBuffer random;
    // 53 uniform bits give [0, 2^53 - 1]; +1 maps them onto [1, 2^53] with no bias.
    return (random.next64() >> 11) + 1;
}

} // namespace nexus::wamp
