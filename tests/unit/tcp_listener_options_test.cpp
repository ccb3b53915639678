// The servers set TCP_NODELAY and the keepalive settings once, on the
// listening socket, and rely on Linux copying them into every accepted
// socket. This pins that assumption down on the machine the tests run on.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <gtest/gtest.h>

namespace {

namespace asio = boost::asio;

int option(int fd, int level, int name) {
    int value = -1;
    socklen_t length = sizeof value;
    EXPECT_EQ(::getsockopt(fd, level, name, &value, &length), 0);
    return value;
}

TEST(TcpListenerOptions, AcceptedSocketsInheritThem) {
    asio::io_context io;
    asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
    acceptor.set_option(asio::ip::tcp::no_delay(true));
    acceptor.set_option(asio::socket_base::keep_alive(true));
    const int idle = 123, probes = 4;
    ASSERT_EQ(::setsockopt(acceptor.native_handle(), IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle),
              0);
    ASSERT_EQ(
        ::setsockopt(acceptor.native_handle(), IPPROTO_TCP, TCP_KEEPCNT, &probes, sizeof probes),
        0);

    asio::ip::tcp::socket client(io);
    client.connect(acceptor.local_endpoint());
    asio::ip::tcp::endpoint peer;
    asio::ip::tcp::socket accepted = acceptor.accept(peer);
    EXPECT_EQ(peer, client.local_endpoint()); // the address that accept() reports

    const int fd = accepted.native_handle();
    EXPECT_EQ(option(fd, IPPROTO_TCP, TCP_NODELAY), 1);
    EXPECT_EQ(option(fd, SOL_SOCKET, SO_KEEPALIVE), 1);
    EXPECT_EQ(option(fd, IPPROTO_TCP, TCP_KEEPIDLE), idle);
    EXPECT_EQ(option(fd, IPPROTO_TCP, TCP_KEEPCNT), probes);
}

} // namespace
