// Publish and subscribe: an exact and a wildcard subscription, events with
// details (the topic and, when disclosed, the publisher), acknowledged
// publishing, and unsubscribing.
//
//   pubsub                      # against a router embedded in this program
//   pubsub tcp://127.0.0.1:8081
#include <iostream>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_future.hpp>

#include <nexus/client/session.hpp>

#include "example_router.hpp"

namespace asio = boost::asio;
using namespace nexus;

asio::awaitable<std::shared_ptr<client::Transport>> open(example::EmbeddedRouter& embedded,
                                                         const std::string& url) {
    auto ex = co_await asio::this_coro::executor;
    if (url.empty()) co_return client::connect_local(embedded.router(), ex);
    co_return co_await client::async_connect(ex, url);
}

asio::awaitable<int> run(example::EmbeddedRouter& embedded, std::string url) {
    auto ex = co_await asio::this_coro::executor;
    client::Session subscriber(ex, co_await open(embedded, url));
    client::Session publisher(ex, co_await open(embedded, url));
    co_await subscriber.join("realm1");
    co_await publisher.join("realm1");

    // Handlers run on the subscriber's strand, one at a time.
    int received = 0;
    auto print = [&](const char* which) {
        return [&received, which](const client::Event& e) {
            ++received;
            std::cout << which << ": " << e.topic << " " << e.args.at(0);
            if (auto p = e.publisher()) std::cout << " from session " << *p;
            std::cout << "\n";
        };
    };
    auto exact = co_await subscriber.subscribe("com.example.room.kitchen.temp", print("exact"));
    client::SubscribeOptions wildcard;
    wildcard.match = wamp::MatchPolicy::wildcard;
    co_await subscriber.subscribe("com.example.room..temp", print("wildcard"), wildcard);

    client::PublishOptions options;
    options.acknowledge = true; // wait for the router's PUBLISHED
    options.disclose_me = true;
    // Arguments are built before co_await: g++ 12 rejects braced lists inside
    // co_await expressions ("array used as initializer").
    const wamp::Array warm{21.5}, cool{19.0}, warmer{22.0};
    co_await publisher.publish("com.example.room.kitchen.temp", warm, options);
    co_await publisher.publish("com.example.room.hall.temp", cool, options);
    co_await subscriber.unsubscribe(exact);
    co_await publisher.publish("com.example.room.kitchen.temp", warmer, options);

    // Events travel independently of PUBLISHED: give them a moment.
    asio::steady_timer pause(ex, std::chrono::milliseconds(200));
    co_await pause.async_wait(asio::use_awaitable);
    co_await publisher.leave();
    co_await subscriber.leave();
    std::cout << received << " events\n";
    co_return received == 4 ? 0 : 1; // kitchen twice, hall once, kitchen (wildcard only)
}

int main(int argc, char** argv) {
    example::EmbeddedRouter embedded;
    asio::io_context io;
    const std::string url = argc > 1 ? argv[1] : "";
    auto result = asio::co_spawn(io, run(embedded, url), asio::use_future);
    io.run();
    try {
        return result.get();
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
}
