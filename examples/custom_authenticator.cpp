// A custom authentication method: a router::Authenticator of our own plugged
// into an embedded router, and a client::Authenticator that answers it.
//
// The method, "x-device-code", is this program's: the router knows each
// device by a code handed out beforehand (here a table in memory, in practice
// a database or another service). It challenges with a fresh nonce and the
// device answers HMAC-SHA256(code, nonce) in base64 (WAMP-CRA's computation,
// which the client library exposes as auth::wampcra_sign), so the code never
// crosses the wire. The router side looks devices up on a thread of its own,
// as an authenticator that asks a database would: AuthReply may be called
// later and from any thread.
//
//   custom_authenticator        # runs the checks below, exit 0 when all hold
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_future.hpp>

#include <nexus/client/session.hpp>
#include <nexus/router/auth.hpp>
#include <nexus/router/router.hpp>

namespace asio = boost::asio;
using namespace nexus;

constexpr std::string_view method_name = "x-device-code";

// --- The router's side -------------------------------------------------------

struct Device {
    std::string code;
    std::string authrole;
};
using DeviceTable = std::map<std::string, Device, std::less<>>;

// Compares without stopping at the first difference, so that the time taken
// does not tell how much of a forged answer was right.
bool same_secret(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    unsigned char diff = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
}

// One client's attempt: lives from HELLO to WELCOME or ABORT.
class DeviceCodeAttempt final : public router::AuthAttempt {
public:
    DeviceCodeAttempt(asio::any_io_executor lookups, std::shared_ptr<const DeviceTable> devices,
                      std::string authid)
        : lookups_(std::move(lookups)), devices_(std::move(devices)), authid_(std::move(authid)) {}

    void start(router::AuthReply reply) override {
        // 16 random bytes in hex. std::random_device is enough for an
        // example; a real authenticator takes a cryptographic generator
        // (OpenSSL's RAND_bytes, getrandom()).
        std::random_device random;
        std::string nonce;
        for (int i = 0; i < 4; ++i) {
            char hex[9];
            std::snprintf(hex, sizeof hex, "%08x", static_cast<unsigned>(random()));
            nonce += hex;
        }
        nonce_ = nonce;
        router::Challenge challenge;
        challenge.extra.emplace("nonce", nonce);
        reply(std::move(challenge));
    }

    void respond(const std::string& signature, const wamp::Object& /*extra*/,
                 router::AuthReply reply) override {
        // The attempt may be gone when the lookup ends (the client left, the
        // realm's auth_timeout passed): the lookup keeps copies of what it
        // needs, and the router ignores a reply that comes too late.
        asio::post(lookups_, [devices = devices_, authid = authid_, nonce = nonce_, signature,
                              reply = std::move(reply)] {
            const auto device = devices->find(authid);
            if (device == devices->end()) {
                // The client only ever sees wamp.error.authentication_failed;
                // the reason goes to the router's log.
                reply(router::Rejection{"no device \"" + authid + "\""});
                return;
            }
            if (!same_secret(signature, client::auth::wampcra_sign(device->second.code, nonce))) {
                reply(router::Rejection{"wrong code for device \"" + authid + "\""});
                return;
            }
            router::Identity identity;
            identity.authid = authid;
            identity.authrole = device->second.authrole;
            identity.authprovider = "device-table";
            reply(std::move(identity)); // authmethod: ours, method()
        });
    }

private:
    asio::any_io_executor lookups_;
    std::shared_ptr<const DeviceTable> devices_;
    std::string authid_;
    std::string nonce_;
};

class DeviceCodeAuthenticator final : public router::Authenticator {
public:
    DeviceCodeAuthenticator(asio::any_io_executor lookups, DeviceTable devices)
        : lookups_(std::move(lookups)),
          devices_(std::make_shared<const DeviceTable>(std::move(devices))) {}

    std::string_view method() const override { return method_name; }

    std::unique_ptr<router::AuthAttempt> begin(const router::AuthRequest& request) override {
        // request.authid is HELLO's claim; the challenge decides whether it holds.
        return std::make_unique<DeviceCodeAttempt>(lookups_, devices_, request.authid);
    }

private:
    asio::any_io_executor lookups_;
    std::shared_ptr<const DeviceTable> devices_;
};

// --- The client's side -------------------------------------------------------

class DeviceCode final : public client::Authenticator {
public:
    explicit DeviceCode(std::string code) : code_(std::move(code)) {}

    std::string method() const override { return std::string(method_name); }

    wamp::Authenticate respond(const wamp::Challenge& challenge) override {
        // A challenge without a nonce throws: the session then gives up (ABORT).
        const std::string& nonce = challenge.extra.at("nonce").as_string();
        wamp::Authenticate answer;
        answer.signature = client::auth::wampcra_sign(code_, nonce);
        return answer;
    }

private:
    std::string code_;
};

// --- The checks --------------------------------------------------------------

// Joins realm1 as `authid` with `code`: the WELCOME's session, or the URI of
// the ABORT that refused it.
struct Outcome {
    std::optional<client::SessionInfo> joined;
    std::string refused;
};

asio::awaitable<Outcome> join_as(router::Router& router, std::string authid, std::string code) {
    auto ex = co_await asio::this_coro::executor;
    client::Session session(ex, client::connect_local(router, ex));
    client::JoinOptions options;
    options.authid = std::move(authid);
    options.authenticators.push_back(std::make_shared<DeviceCode>(std::move(code)));
    Outcome outcome;
    try {
        outcome.joined = co_await session.join("realm1", options);
        co_await session.leave();
    } catch (const client::WampError& e) {
        outcome.refused = e.uri();
    }
    co_return outcome;
}

asio::awaitable<int> run(router::Router& router) {
    int failures = 0;
    const auto check = [&](bool ok, const std::string& what) {
        std::cout << (ok ? "ok:     " : "FAILED: ") << what << "\n";
        if (!ok) ++failures;
    };

    const Outcome good = co_await join_as(router, "sensor-7", "7f3a-c0de");
    check(good.joined && good.joined->authid == "sensor-7" && good.joined->authrole == "sensor" &&
              good.joined->authmethod == method_name && good.joined->authprovider == "device-table",
          "sensor-7 with its code joins as authrole sensor, authmethod x-device-code");

    const Outcome wrong = co_await join_as(router, "sensor-7", "guess");
    check(!wrong.joined && wrong.refused == "wamp.error.authentication_failed",
          "a wrong code is refused: " + wrong.refused);

    const Outcome unknown = co_await join_as(router, "sensor-99", "7f3a-c0de");
    check(!unknown.joined && unknown.refused == "wamp.error.authentication_failed",
          "an unknown device is refused the same way: " + unknown.refused);

    // Without an authenticator the client offers no method; the realm has
    // anonymous_auth off, so nothing is left in common.
    {
        auto ex = co_await asio::this_coro::executor;
        client::Session anonymous(ex, client::connect_local(router, ex));
        std::string refused;
        try {
            co_await anonymous.join("realm1");
        } catch (const client::WampError& e) {
            refused = e.uri();
        }
        check(refused == "wamp.error.no_auth_method", "an anonymous client is refused: " + refused);
    }
    co_return failures == 0 ? 0 : 1;
}

int main() {
    // The router's io_context, and one thread for the authenticator's lookups.
    asio::io_context io;
    auto work = asio::make_work_guard(io);
    asio::io_context lookups;
    auto lookups_work = asio::make_work_guard(lookups);

    router::RealmConfig realm;
    realm.uri = "realm1";
    realm.anonymous_auth = false;
    realm.authenticators.push_back(std::make_shared<DeviceCodeAuthenticator>(
        lookups.get_executor(),
        DeviceTable{{"sensor-7", {"7f3a-c0de", "sensor"}}, {"sensor-8", {"91bb-0a1e", "sensor"}}}));
    router::RouterConfig config;
    config.realms.push_back(realm);
    // The router's log says why an authentication failed; the client never learns it.
    config.logger = [](router::RouterLogLevel, std::string_view line) {
        std::cout << "router: " << line << "\n";
    };
    router::Router router(io.get_executor(), config);
    std::thread router_thread([&] { io.run(); });
    std::thread lookup_thread([&] { lookups.run(); });

    asio::io_context client_io;
    auto result = asio::co_spawn(client_io, run(router), asio::use_future);
    client_io.run();
    int status = 1;
    try {
        status = result.get();
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
    }
    router.shutdown();
    work.reset();
    io.stop();
    router_thread.join();
    lookups_work.reset();
    lookups.stop();
    lookup_thread.join();
    return status;
}
