#include "transport/net/write_deadline.hpp"

#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdint>

namespace nexus::transport {

long WriteDeadline::unsent_bytes(int socket) {
    // TCP: sent but unacknowledged plus not yet sent; Unix stream sockets:
    // written but not yet read by the peer.
    int queued = 0;
    if (::ioctl(socket, SIOCOUTQ, &queued) != 0) return -1;
    return queued;
}

void reset_on_close(int socket) {
    const ::linger abort_at_close{1, 0};
    ::setsockopt(socket, SOL_SOCKET, SO_LINGER, &abort_at_close, sizeof abort_at_close);
}

void tcp_user_timeout(int socket, std::chrono::milliseconds limit) {
    if (limit.count() <= 0) return;
    // The option is an unsigned int of milliseconds; INT_MAX keeps it sane.
    const unsigned int ms =
        static_cast<unsigned int>(std::min<std::int64_t>(limit.count(), 0x7fffffff));
    ::setsockopt(socket, IPPROTO_TCP, TCP_USER_TIMEOUT, &ms, sizeof ms);
}

} // namespace nexus::transport
