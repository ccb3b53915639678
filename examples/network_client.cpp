// Clients over the network: a router serving WebSocket and RawSocket on
// free loopback ports (or the URLs given on the command line), a callee
// connected with WebSocket + MessagePack and a caller with RawSocket + CBOR;
// the router transcodes between them.
//
//   network_client                                         # serve and connect
//   network_client ws://127.0.0.1:8080/ws tcp://127.0.0.1:8081   # connect to a running nexusd
#include <iostream>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <nexus/client/session.hpp>
#include <nexus/transport/rawsocket_server.hpp>
#include <nexus/transport/websocket_server.hpp>

#include "example_router.hpp"

namespace asio = boost::asio;
using namespace nexus;

asio::awaitable<int> run(std::string ws_url, std::string tcp_url) {
    auto ex = co_await asio::this_coro::executor;
    client::ConnectOptions msgpack;
    msgpack.format = wamp::Format::msgpack;
    client::ConnectOptions cbor;
    cbor.format = wamp::Format::cbor;
    client::Session callee(ex, co_await client::async_connect(ex, ws_url, msgpack));
    client::Session caller(ex, co_await client::async_connect(ex, tcp_url, cbor));
    auto joined = co_await callee.join("realm1");
    co_await caller.join("realm1");
    std::cout << "callee joined as session " << joined.session << " over " << ws_url << "\n";

    co_await callee.provide("com.example.echo", [](const client::Invocation& inv) {
        return client::Result{inv.args(), inv.kwargs()};
    });
    // Built before co_await: g++ 12 rejects braced lists inside co_await expressions.
    const wamp::Array args{"bytes", wamp::Bytes{0xCA, 0xFE}};
    const wamp::Object kwargs{{"pi", 3.14159}};
    auto echoed = co_await caller.call("com.example.echo", args, kwargs);
    std::cout << "echoed over " << tcp_url << ": " << wamp::Value(echoed.args) << " "
              << wamp::Value(echoed.kwargs) << "\n";
    co_await caller.leave();
    co_await callee.leave();
    co_return echoed.args.at(1) == wamp::Value(wamp::Bytes{0xCA, 0xFE}) ? 0 : 1;
}

int main(int argc, char** argv) {
    example::EmbeddedRouter embedded;
    std::unique_ptr<transport::WebSocketServer> ws;
    std::unique_ptr<transport::RawSocketServer> raw;
    std::string ws_url, tcp_url;
    if (argc > 2) {
        ws_url = argv[1];
        tcp_url = argv[2];
    } else {
        transport::WebSocketOptions wo;
        wo.address = "127.0.0.1:0";
        ws = std::make_unique<transport::WebSocketServer>(embedded.executor(), embedded.router(),
                                                          wo);
        ws->start();
        transport::RawSocketOptions ro;
        ro.tcp_address = "127.0.0.1:0";
        raw = std::make_unique<transport::RawSocketServer>(embedded.executor(), embedded.router(),
                                                           ro);
        raw->start();
        ws_url = "ws://127.0.0.1:" + std::to_string(ws->port()) + "/ws";
        tcp_url = "tcp://127.0.0.1:" + std::to_string(raw->tcp_port());
    }
    asio::io_context io;
    auto result = asio::co_spawn(io, run(ws_url, tcp_url), asio::use_future);
    io.run();
    int status = 1;
    try {
        status = result.get();
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
    }
    if (ws) ws->stop();
    if (raw) raw->stop();
    return status;
}
