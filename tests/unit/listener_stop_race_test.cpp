// stop() racing the accept loop: the servers' accept handlers run on the
// executor's threads while stop() runs on another. A connection accepted as
// stop() runs must be closed by it (or refused), never left open after
// stop() returned: each round connects a burst of clients, stops the server
// in the middle of it, and checks that every client sees its connection end
// well before the handshake timeout would end it anyway.
#include <nexus/router/router.hpp>
#include <nexus/transport/rawsocket_server.hpp>
#include <nexus/transport/websocket_server.hpp>

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "support/router_fixture.hpp"

using namespace nexus;
using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

constexpr int rounds = 40;
constexpr int clients_per_round = 40;

// Connects a blocking socket to 127.0.0.1:port; -1 once the listener is gone.
int connect_to(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

// Whether every socket sees its connection end (EOF or reset) by `deadline`.
// Each first sends a byte: a connection whose handshake the kernel had not
// finished when the listener closed is dropped without a word to the client,
// which hears the reset only once it sends. A session the server forgot to
// close takes the byte and waits for the rest of its handshake.
bool all_closed(const std::vector<int>& fds, std::chrono::steady_clock::time_point deadline) {
    for (int fd : fds)
        (void)::send(fd, "x", 1, MSG_NOSIGNAL);
    for (int fd : fds) {
        for (;;) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) return false;
            pollfd p{fd, POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
            char buffer[256];
            const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
            if (n <= 0) break; // EOF or reset: closed
        }
    }
    return true;
}

class ListenerStopRace : public ::testing::Test {
protected:
    ListenerStopRace()
        : work_(io_.get_executor()),
          router_(io_.get_executor(), nexus::test::RouterFixture::default_config()) {
        for (int i = 0; i < 3; ++i)
            threads_.emplace_back([this] { io_.run(); });
    }
    ~ListenerStopRace() override {
        router_.shutdown();
        work_.reset();
        io_.stop();
        for (auto& t : threads_)
            t.join();
    }

    // One round: a burst of connections with stop() in its middle.
    template <class Server> void round(Server& server, std::uint16_t port) {
        std::vector<int> fds;
        std::atomic<int> connected{0};
        std::thread connector([&] {
            for (int i = 0; i < clients_per_round; ++i) {
                const int fd = connect_to(port);
                if (fd < 0) break;
                fds.push_back(fd);
                connected.fetch_add(1);
            }
        });
        while (connected.load() < clients_per_round / 2)
            std::this_thread::yield();
        server.stop();
        connector.join();
        // Connections end at once on stop(); the handshake timeout (10 s)
        // would end a forgotten one much later.
        EXPECT_TRUE(all_closed(fds, std::chrono::steady_clock::now() + 3s))
            << "a connection accepted while stop() ran stayed open";
        for (int fd : fds)
            ::close(fd);
    }

    asio::io_context io_;
    asio::executor_work_guard<asio::io_context::executor_type> work_;
    router::Router router_;
    std::vector<std::thread> threads_;
};

TEST_F(ListenerStopRace, RawSocketClosesWhatItAcceptsWhileStopping) {
    for (int r = 0; r < rounds && !HasFailure(); ++r) {
        transport::RawSocketOptions o;
        o.tcp_address = "127.0.0.1:0";
        transport::RawSocketServer server(io_.get_executor(), router_, o);
        server.start();
        round(server, server.tcp_port());
    }
}

TEST_F(ListenerStopRace, WebSocketClosesWhatItAcceptsWhileStopping) {
    for (int r = 0; r < rounds && !HasFailure(); ++r) {
        transport::WebSocketOptions o;
        o.address = "127.0.0.1:0";
        transport::WebSocketServer server(io_.get_executor(), router_, o);
        server.start();
        round(server, server.port());
    }
}

} // namespace
