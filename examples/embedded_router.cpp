// An application that embeds a nexus Router and talks to it in-process —
// no sockets, no serialization — using the callback and future flavours of
// the client API (no coroutines needed).
#include <future>
#include <iostream>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <nexus/client/session.hpp>
#include <nexus/router/router.hpp>

namespace asio = boost::asio;
using namespace nexus;

int main() {
    // One io_context runs the router's timers and the client sessions.
    asio::io_context io;
    auto work = asio::make_work_guard(io);
    router::RouterConfig config;
    router::RealmConfig realm;
    realm.uri = "realm1";
    config.realms.push_back(realm);
    router::Router router(io.get_executor(), config);
    std::thread runner([&] { io.run(); });

    int status = 1;
    try {
        client::Session service(io.get_executor(),
                                client::connect_local(router, io.get_executor()));
        client::Session app(io.get_executor(), client::connect_local(router, io.get_executor()));
        // Futures: block this thread until each step is done.
        service.join("realm1", {}, asio::use_future).get();
        app.join("realm1", {}, asio::use_future).get();
        service
            .provide(
                "com.example.greet",
                [](const client::Invocation& inv) {
                    return client::Result{{"hello, " + inv.args().at(0).as_string()}};
                },
                {}, asio::use_future)
            .get();

        // A callback: runs on an io thread when the result arrives.
        std::promise<std::string> greeting;
        app.call("com.example.greet", {"world"}, client::CallOptions(),
                 [&](std::exception_ptr error, client::CallResult result) {
                     if (error)
                         greeting.set_exception(error);
                     else
                         greeting.set_value(result.args.at(0).as_string());
                 });
        const std::string text = greeting.get_future().get();
        std::cout << text << "\n";
        std::cout << router.session_count() << " sessions in the router\n";
        app.leave(std::string("wamp.close.normal"), asio::use_future).get();
        service.leave(std::string("wamp.close.normal"), asio::use_future).get();
        status = text == "hello, world" ? 0 : 1;
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
    }
    work.reset();
    io.stop();
    runner.join();
    return status;
}
