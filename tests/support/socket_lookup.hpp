// Test support: finds the descriptor of one end of a 127.0.0.1 TCP
// connection among this process's own (a test that runs both ends reads the
// options the library set on its end, e.g. TCP_USER_TIMEOUT).
#pragma once

#include <gtest/gtest.h>

#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <boost/asio/ip/tcp.hpp>

#include <cstdlib>

namespace nexus::test {

/// Which address of a socket identifies it.
enum class SocketEnd { local, peer };

/// The descriptor of this process whose `end` address is `address` (IPv4), or -1.
inline int socket_with(SocketEnd end, const boost::asio::ip::tcp::endpoint& address) {
    DIR* dir = ::opendir("/proc/self/fd");
    int found = -1;
    while (dirent* e = ::readdir(dir)) {
        const int fd = std::atoi(e->d_name);
        if (e->d_name[0] == '.' || fd == ::dirfd(dir)) continue;
        sockaddr_in a{};
        socklen_t n = sizeof a;
        const int got = end == SocketEnd::local
                            ? ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n)
                            : ::getpeername(fd, reinterpret_cast<sockaddr*>(&a), &n);
        if (got == 0 && n == sizeof a && a.sin_family == AF_INET &&
            ntohs(a.sin_port) == address.port() &&
            a.sin_addr.s_addr == htonl(address.address().to_v4().to_uint())) {
            found = fd;
            break;
        }
    }
    ::closedir(dir);
    return found;
}

/// The socket's TCP_USER_TIMEOUT in milliseconds (0: the kernel's default).
inline int tcp_user_timeout(int fd) {
    unsigned int ms = 0;
    socklen_t length = sizeof ms;
    EXPECT_EQ(::getsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ms, &length), 0);
    return static_cast<int>(ms);
}

} // namespace nexus::test
