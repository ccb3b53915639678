// The router as untrusted peers drive it: bytes -> serializer -> validated
// wamp::Message (make_message) -> Router, from two connections, with what the
// router sends back re-encoded in the peer's format and decoded again.
//
// Input (see fuzz/seeds/router/ and make_seeds.cpp, which writes the seeds):
//   octet 0        bits 0-1 serializer (0 json, 1 msgpack, 2 cbor, 3 json),
//                  bits 2-3 router configuration (below), bit 4 shut the router
//                  down before the connections go
//   then records   [control][length: 2 octets, big-endian][length octets]
//                  control bit 0: connection 0 or 1; bits 1-2: 1 = that
//                  transport is lost, 2 = connection 0 stops (or resumes)
//                  reading what the router sends, so that its queue fills up
//                  (the body is ignored for both), else the body is one frame
//                  from that peer.
// Connection 0 is attached the way the network transports attach (Router::
// attach with a Peer; undecodable frames go to receive_garbage, replies are
// taken and encoded as for the wire); connection 1 is an in-process client
// (transport::LocalConnection), whose frames are decoded by this harness. A
// connection the router closed (or that was lost) is opened again by its next
// frame, so that one input can run several sessions one after the other.
//
// Deterministic: one thread; after every record the io_context runs only what
// is ready (poll), never waiting for a timer, and the router's ids come from a
// counter reset per input (RouterConfig::id_generator), so that a
// saved input replays the same way and can name session ids. CALL timeouts
// are raised to an hour so that no call timer fires within a run: timers are
// armed and cancelled, never expired. Everything is torn down per input, so
// LeakSanitizer sees anything the router leaks.
//
// Checked: no crash, no leak, nothing the router sends fails to encode in a
// binary format or fails to decode again, nothing after an ABORT.
#include <nexus/router/router.hpp>
#include <nexus/serialize/serializer.hpp>
#include <nexus/transport/local.hpp>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>

namespace {

using namespace nexus;

// Reset per input; one thread, so a plain counter.
std::uint64_t next_id = 1;

void check(bool condition) {
    if (!condition) std::abort();
}

// NEXUS_FUZZ_TRACE=1 prints the conversation (in JSON), for writing seeds.
void trace(int connection, const char* direction, const wamp::Message& m) {
    static const bool on = std::getenv("NEXUS_FUZZ_TRACE") != nullptr;
    if (!on) return;
    auto text = serialize::encode(wamp::Format::json, m);
    std::cerr << connection << ' ' << direction << ' ' << (text ? *text : "(not JSON)") << '\n';
}

router::RouterConfig make_config(unsigned variant) {
    router::RouterConfig config;
    config.id_generator = [] { return next_id++; };
    router::RealmConfig realm;
    realm.uri = "realm1";
    switch (variant) {
    case 0: // open: anonymous, meta API switches on, history, a realm template
        realm.enable_meta_kill = true;
        realm.enable_meta_modify = true;
        realm.event_history.push_back({"com.hist", wamp::MatchPolicy::prefix, 3});
        config.realm_template = router::RealmConfig{};
        config.out_queue_size = 64;
        break;
    case 1: { // authentication and authorization
        realm.anonymous_auth = false;
        realm.strict_uri = true;
        realm.strict_request_ids = true;
        router::Principal joe;
        joe.authid = "joe";
        joe.authrole = "user";
        joe.ticket = "secret";
        router::Principal peter;
        peter.authid = "peter";
        peter.authrole = "admin";
        peter.wampcra = router::CraSecret{"secret", "salt", 2, 32};
        router::Principal alice;
        alice.authid = "alice";
        alice.authrole = "user";
        alice.cryptosign_keys = {std::string(64, 'a')};
        realm.principals = {joe, peter, alice};
        // Every action on the URIs starting with `prefix`.
        const auto all_under = [](std::string prefix) {
            router::Permission p;
            p.uri = std::move(prefix);
            p.match = wamp::MatchPolicy::prefix;
            p.call = p.subscribe = p.publish = p.register_ = true;
            return p;
        };
        router::RolePermissions user;
        user.role = "user";
        user.permissions.push_back(all_under("com."));
        user.permissions.back().disclose_caller = true;
        router::RolePermissions admin;
        admin.role = "admin";
        admin.permissions.push_back(all_under(""));
        realm.roles = {user, admin};
        realm.cookie_auth = true;
        router::RealmConfig dynamic;
        dynamic.uri = "realm2";
        dynamic.dynamic_authenticator =
            router::DynamicAuthenticatorConfig{"com.auth", {"ticket", "wampcra"}};
        dynamic.enable_meta_kill = true;
        config.realms.push_back(std::move(dynamic));
        break;
    }
    case 2: // small limits, disconnect on overflow
        realm.max_sessions = 1;
        realm.max_pending_calls_per_session = 2;
        realm.max_subscriptions_per_session = 2;
        realm.max_registrations_per_session = 2;
        realm.allow_disclose = false;
        realm.meta_strict = true;
        realm.meta_include_session_details = {"x"};
        config.out_queue_size = 8;
        config.overflow = router::OverflowPolicy::disconnect;
        break;
    default: // tiny queues that drop events
        realm.enable_meta_modify = true;
        config.out_queue_size = 2;
        config.overflow = router::OverflowPolicy::drop_events;
        break;
    }
    config.realms.push_back(std::move(realm));
    return config;
}

// Whatever the router sends must be sendable: encodable in the binary
// formats (JSON cannot carry every value, e.g. NaN: the transports skip such
// a message) and decodable again, as the same kind of message.
void check_sent(wamp::Format format, const wamp::Message& message,
                const std::shared_ptr<const std::string>* encoded = nullptr) {
    std::shared_ptr<const std::string> bytes;
    if (encoded) {
        bytes = *encoded;
    } else if (auto e = serialize::encode(format, message)) {
        bytes = std::make_shared<const std::string>(std::move(*e));
    }
    if (!bytes) {
        check(format == wamp::Format::json);
        return;
    }
    auto back = serialize::decode(format, bytes);
    check(back.ok());
    check(wamp::message_type(*back) == wamp::message_type(message));
}

// Tracks what one connection received: nothing may follow an ABORT.
struct Inbox {
    bool aborted = false;
    bool closed = false;
    void received(const wamp::Message& m) {
        check(!aborted);
        if (std::holds_alternative<wamp::Abort>(m)) aborted = true;
    }
};

// Connection 0: a transport like RawSocket/WebSocket, without the socket.
class WirePeer final : public router::Peer {
public:
    void wake() override {}
    void close() override { close_requested = true; }
    bool close_requested = false;
};

class WireConnection {
public:
    WireConnection(router::Router& router, wamp::Format format)
        : router_(router), format_(format) {}

    void frame(std::string_view bytes) {
        open();
        auto message = serialize::decode(format_, bytes);
        if (message) {
            if (auto* call = std::get_if<wamp::Call>(&*message)) tame(*call);
            trace(0, "->", *message);
            connection_->receive(std::move(*message));
        } else {
            connection_->receive_garbage(message.error().message);
        }
    }

    void lost() {
        stalled_ = false;
        if (!connection_) return;
        connection_->disconnected();
        drain();
        connection_.reset();
    }

    void toggle_stall() { stalled_ = !stalled_; }

    // What a transport does when woken: take everything, encode it for the wire.
    void drain() {
        if (!connection_ || stalled_) return;
        std::vector<router::OutgoingPtr> batch;
        while (connection_->take(batch, 64) > 0) {
            for (const auto& out : batch) {
                trace(0, "<-", out->message());
                inbox_.received(out->message());
                auto bytes = out->encoded(format_);
                if (bytes)
                    check_sent(format_, out->message(), &*bytes);
                else
                    check(format_ == wamp::Format::json);
            }
            batch.clear();
        }
        if (peer_->close_requested) {
            connection_->disconnected();
            connection_.reset();
        }
    }

    static void tame(wamp::Call& call) {
        auto it = call.options.find("timeout");
        if (it != call.options.end() && it->second.to_uint() && *it->second.to_uint() > 0)
            it->second = wamp::Value(std::uint64_t{3'600'000});
    }

private:
    void open() {
        if (connection_) return;
        peer_ = std::make_shared<WirePeer>();
        inbox_ = {};
        router::TransportInfo info{.type = "websocket",
                                   .protocol = std::string(wamp::websocket_subprotocol(format_)),
                                   .peer = "tcp4:127.0.0.1:1000"};
        info.extra.emplace("cookie", "cookie-0");
        connection_ = router_.attach(peer_, std::move(info));
    }

    router::Router& router_;
    const wamp::Format format_;
    std::shared_ptr<WirePeer> peer_;
    std::unique_ptr<router::Connection> connection_;
    Inbox inbox_;
    bool stalled_ = false;
};

// Connection 1: the in-process transport.
class LocalClient {
public:
    LocalClient(router::Router& router, boost::asio::io_context& io, wamp::Format format)
        : router_(router), io_(io), format_(format) {}

    void frame(std::string_view bytes) {
        auto message = serialize::decode(format_, bytes);
        if (!message) return; // an in-process client has no bytes to get wrong
        open();
        if (auto* call = std::get_if<wamp::Call>(&*message)) WireConnection::tame(*call);
        trace(1, "->", *message);
        connection_->send(std::move(*message));
    }

    void lost() {
        if (connection_) connection_->close();
        connection_.reset();
    }

private:
    void open() {
        if (connection_ && !inbox_->closed) return;
        if (connection_) connection_->close();
        inbox_ = std::make_shared<Inbox>();
        connection_ = transport::LocalConnection::connect(
            router_, io_.get_executor(),
            [inbox = inbox_, format = format_](const wamp::Message& m) {
                trace(1, "<-", m);
                inbox->received(m);
                check_sent(format, m);
            },
            [inbox = inbox_] { inbox->closed = true; });
    }

    router::Router& router_;
    boost::asio::io_context& io_;
    const wamp::Format format_;
    std::shared_ptr<Inbox> inbox_ = std::make_shared<Inbox>();
    std::shared_ptr<transport::LocalConnection> connection_;
};

void run_ready(boost::asio::io_context& io) {
    io.restart();
    io.poll();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    next_id = 1;
    const std::uint8_t head = data[0];
    constexpr wamp::Format formats[] = {wamp::Format::json, wamp::Format::msgpack,
                                        wamp::Format::cbor, wamp::Format::json};
    const wamp::Format format = formats[head & 3];

    boost::asio::io_context io;
    {
        router::Router router(io.get_executor(), make_config((head >> 2) & 3));
        WireConnection wire(router, format);
        LocalClient local(router, io, format);

        std::size_t pos = 1;
        while (size - pos >= 3) {
            const std::uint8_t control = data[pos];
            const std::size_t length = (std::size_t{data[pos + 1]} << 8) | data[pos + 2];
            pos += 3;
            const std::size_t n = std::min(length, size - pos);
            const std::string_view body(reinterpret_cast<const char*>(data + pos), n);
            pos += n;
            const bool second = control & 1;
            const unsigned action = (control >> 1) & 3;
            if (action == 1) {
                if (second)
                    local.lost();
                else
                    wire.lost();
            } else if (action == 2) {
                if (!second) wire.toggle_stall();
            } else if (second) {
                local.frame(body);
            } else {
                wire.frame(body);
            }
            run_ready(io);
            wire.drain();
        }
        if (head & 0x10) {
            router.shutdown();
            run_ready(io);
            wire.drain();
        }
        wire.lost();
        local.lost();
        run_ready(io);
    }
    run_ready(io); // what the router's destruction posted
    return 0;
}
