// forwarder: the physical reference for wampbench. It accepts RawSocket
// connections, performs the 4-byte handshake, puts each connection in the
// channel its first frame names, and forwards every later frame, unparsed,
// to the other receiving members of the channel. wampbench --target
// forwarder drives it with the same frames and the same pattern as a router.
//
// Queues towards a receiver are unbounded: wampbench's closed loops bound
// them. Not a server for anything but benchmarks.
#include <charconv>
#include <csignal>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>

#include "channel.hpp"
#include "connection.hpp"

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

struct Args {
    std::string host = "127.0.0.1";
    unsigned short port = 0; // 0: a free port, printed on stdout
    unsigned threads = 1;
};

bool parse(int argc, char** argv, Args& a) {
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--help" || arg == "-h" || i + 1 >= argc) return false;
        const std::string v = argv[++i];
        if (arg == "--listen") {
            const auto colon = v.rfind(':');
            if (colon == std::string::npos) return false;
            a.host = v.substr(0, colon);
            auto r = std::from_chars(v.data() + colon + 1, v.data() + v.size(), a.port);
            if (r.ec != std::errc{}) return false;
        } else if (arg == "--threads") {
            auto r = std::from_chars(v.data(), v.data() + v.size(), a.threads);
            if (r.ec != std::errc{} || a.threads == 0 || a.threads > 256) return false;
        } else {
            return false;
        }
    }
    return true;
}

// One single-threaded io_context per thread; connections are dealt out in turn.
struct Loop {
    asio::io_context io{1};
    asio::executor_work_guard<asio::io_context::executor_type> guard{io.get_executor()};
    std::thread thread;
};

void accept(tcp::acceptor& acceptor, std::vector<std::unique_ptr<Loop>>& loops, std::size_t next,
            forwarder::Channels& channels) {
    acceptor.async_accept(loops[next % loops.size()]->io, [&, next](auto ec, tcp::socket socket) {
        if (ec == asio::error::operation_aborted) return;
        if (!ec) std::make_shared<forwarder::Connection>(std::move(socket), channels)->start();
        accept(acceptor, loops, next + 1, channels);
    });
}

} // namespace

int main(int argc, char** argv) {
    Args args;
    if (!parse(argc, argv, args)) {
        std::cerr
            << "usage: forwarder [--listen HOST:PORT] [--threads N]\n"
               "  RawSocket frame forwarder for wampbench --target forwarder.\n"
               "  Default 127.0.0.1:0 (a free port; the port is printed on stdout), 1 thread.\n";
        return 1;
    }
    std::signal(SIGPIPE, SIG_IGN);
    asio::io_context main_io{1};
    std::vector<std::unique_ptr<Loop>> loops;
    for (unsigned i = 0; i < args.threads; ++i)
        loops.push_back(std::make_unique<Loop>());
    forwarder::Channels channels;
    tcp::acceptor acceptor(main_io);
    try {
        const tcp::endpoint endpoint(asio::ip::make_address(args.host), args.port);
        acceptor.open(endpoint.protocol());
        acceptor.set_option(tcp::acceptor::reuse_address(true));
        acceptor.bind(endpoint);
        acceptor.listen(asio::socket_base::max_listen_connections);
    } catch (const std::exception& e) {
        std::cerr << "forwarder: cannot listen on " << args.host << ":" << args.port << ": "
                  << e.what() << "\n";
        return 2;
    }
    std::cout << "forwarder listening on " << args.host << ":" << acceptor.local_endpoint().port()
              << std::endl;
    for (auto& l : loops)
        l->thread = std::thread([io = &l->io] { io->run(); });
    accept(acceptor, loops, 0, channels);
    asio::signal_set signals(main_io, SIGINT, SIGTERM);
    signals.async_wait([&](auto, int) { acceptor.close(); });
    main_io.run();
    // Connections keep each other alive through their channels: stopping the
    // loops ends the process without a tidy teardown, which is all it needs.
    for (auto& l : loops)
        l->io.stop();
    for (auto& l : loops)
        l->thread.join();
    return 0;
}
