// The client Transport over the in-process LocalConnection.
#include <mutex>

#include <nexus/client/transport.hpp>
#include <nexus/transport/local.hpp>

namespace nexus::client {

namespace {

class LocalTransport final : public Transport {
public:
    struct Handlers {
        std::mutex mutex;
        MessageHandler on_message;
        CloseHandler on_close;
        // The router sends nothing before HELLO, but an early close (router
        // shut down) must not be lost before start().
        bool closed_early = false;
    };

    LocalTransport(router::Router& router, boost::asio::any_io_executor executor)
        : handlers_(std::make_shared<Handlers>()) {
        connection_ = transport::LocalConnection::connect(
            router, std::move(executor),
            [h = handlers_](const wamp::Message& m) {
                std::lock_guard lock(h->mutex);
                if (h->on_message) h->on_message(m);
            },
            [h = handlers_] {
                std::lock_guard lock(h->mutex);
                if (h->on_close)
                    h->on_close("the router closed the connection");
                else
                    h->closed_early = true;
            });
    }
    ~LocalTransport() override { connection_->close(); }

    void start(MessageHandler on_message, CloseHandler on_close) override {
        std::lock_guard lock(handlers_->mutex);
        handlers_->on_message = std::move(on_message);
        handlers_->on_close = std::move(on_close);
        if (handlers_->closed_early) handlers_->on_close("the router closed the connection");
    }
    void send(wamp::Message message) override { connection_->send(std::move(message)); }
    void close() override { connection_->close(); }
    bool is_open() const override { return !connection_->closed(); }
    std::string_view kind() const override { return "local"; }
    std::optional<wamp::Format> format() const override { return std::nullopt; }

private:
    std::shared_ptr<Handlers> handlers_;
    std::shared_ptr<transport::LocalConnection> connection_;
};

} // namespace

std::shared_ptr<Transport> connect_local(router::Router& router,
                                         boost::asio::any_io_executor executor) {
    return std::make_shared<LocalTransport>(router, std::move(executor));
}

} // namespace nexus::client
