#include "transport/net/write_deadline.hpp"

#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

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

} // namespace nexus::transport
