// Test support: a Router on its own io_context thread, and synchronous
// in-process clients that send messages and wait for the router's answers.
#pragma once

#include <nexus/router/router.hpp>
#include <nexus/transport/local.hpp>
#include <nexus/wamp/uris.hpp>

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace nexus::test {

using namespace std::chrono_literals;

/// A client end that records what the router sends it.
class TestClient {
public:
    TestClient(router::Router& router, boost::asio::any_io_executor executor) {
        auto inbox = inbox_;
        connection_ = transport::LocalConnection::connect(
            router, std::move(executor),
            [inbox](const wamp::Message& m) {
                std::lock_guard lock(inbox->mutex);
                inbox->messages.push_back(m);
                inbox->cv.notify_all();
            },
            [inbox] {
                std::lock_guard lock(inbox->mutex);
                inbox->closed = true;
                inbox->cv.notify_all();
            });
    }

    void send(wamp::Message m) { connection_->send(std::move(m)); }
    void drop() { connection_->close(); }
    transport::LocalConnection& connection() { return *connection_; }

    /// The next message from the router, or nullopt after `timeout`.
    std::optional<wamp::Message> next(std::chrono::milliseconds timeout = 3s) {
        std::unique_lock lock(inbox_->mutex);
        if (!inbox_->cv.wait_for(lock, timeout, [&] { return !inbox_->messages.empty(); }))
            return std::nullopt;
        wamp::Message m = std::move(inbox_->messages.front());
        inbox_->messages.pop_front();
        return m;
    }

    /// The next message, which must be an M (test failure otherwise).
    template <class M> M expect(std::chrono::milliseconds timeout = 3s) {
        auto m = next(timeout);
        if (!m) {
            ADD_FAILURE() << "expected " << wamp::message_name(M::type) << ", got nothing";
            return M{};
        }
        if (!std::holds_alternative<M>(*m)) {
            ADD_FAILURE() << "expected " << wamp::message_name(M::type) << ", got "
                          << wamp::message_name(wamp::message_type(*m)) << describe(*m);
            return M{};
        }
        return std::get<M>(std::move(*m));
    }

    /// True if nothing arrives within `quiet`.
    bool nothing_for(std::chrono::milliseconds quiet = 100ms) {
        auto m = next(quiet);
        if (m) {
            ADD_FAILURE() << "unexpected " << wamp::message_name(wamp::message_type(*m))
                          << describe(*m);
            return false;
        }
        return true;
    }

    bool wait_closed(std::chrono::milliseconds timeout = 3s) {
        std::unique_lock lock(inbox_->mutex);
        return inbox_->cv.wait_for(lock, timeout, [&] { return inbox_->closed; });
    }

    std::size_t pending() {
        std::lock_guard lock(inbox_->mutex);
        return inbox_->messages.size();
    }

    /// HELLO with all four client roles and the given features per role.
    wamp::Id join(const std::string& realm = "realm1", wamp::Object extra_details = {},
                  wamp::Object features = default_features()) {
        send(hello(realm, std::move(extra_details), std::move(features)));
        return welcomed();
    }

    /// join() as `authid` of the fixture's principals (RouterFixture::
    /// add_test_principals): anonymous sessions cannot name their authid.
    wamp::Id join_as(const std::string& authid, const std::string& realm = "realm1") {
        return join_with_ticket(realm, authid, "ticket-" + authid);
    }

    /// join() authenticating with a ticket.
    wamp::Id join_with_ticket(const std::string& realm, const std::string& authid,
                              const std::string& ticket) {
        send(hello(realm, {{"authmethods", wamp::Value{"ticket"}}, {"authid", authid}}));
        expect<wamp::Challenge>();
        send(wamp::Authenticate{ticket, {}});
        return welcomed();
    }

    static wamp::Hello hello(const std::string& realm, wamp::Object details = {},
                             wamp::Object features = default_features()) {
        wamp::Hello hello;
        hello.realm = realm;
        hello.details = std::move(details);
        wamp::Object roles;
        for (const char* role : {"caller", "callee", "publisher", "subscriber"})
            roles.emplace(role, wamp::Object{{"features", wamp::Value(features)}});
        hello.details.emplace("roles", std::move(roles));
        return hello;
    }

    static wamp::Object default_features() {
        wamp::Object f;
        for (const char* k :
             {"progressive_call_results", "progressive_call_invocations", "call_canceling",
              "call_timeout", "caller_identification", "pattern_based_registration",
              "shared_registration", "publisher_exclusion", "publisher_identification",
              "subscriber_blackwhite_listing", "pattern_based_subscription",
              "registration_revocation", "subscription_revocation"})
            f.emplace(k, true);
        return f;
    }

    wamp::Id session() const { return session_; }
    wamp::Id next_request() { return ++request_; }

    static std::string describe(const wamp::Message& m) {
        if (auto* e = std::get_if<wamp::Error>(&m)) return " (" + e->error + ")";
        if (auto* a = std::get_if<wamp::Abort>(&m)) return " (" + a->reason + ")";
        if (auto* g = std::get_if<wamp::Goodbye>(&m)) return " (" + g->reason + ")";
        return "";
    }

private:
    wamp::Id welcomed() {
        auto welcome = expect<wamp::Welcome>();
        session_ = welcome.session;
        return welcome.session;
    }

    struct Inbox {
        std::mutex mutex;
        std::condition_variable cv;
        std::deque<wamp::Message> messages;
        bool closed = false;
    };
    std::shared_ptr<Inbox> inbox_ = std::make_shared<Inbox>();
    std::shared_ptr<transport::LocalConnection> connection_;
    wamp::Id session_ = 0;
    wamp::Id request_ = 0;
};

/// A router with realm1 (anonymous) running on `threads` io threads.
class RouterFixture : public ::testing::Test {
public:
    /// Ticket principals for tests that need named sessions (TestClient::
    /// join_as): alice, bob, carol, ... with ticket "ticket-<authid>" and
    /// authrole "user".
    static void add_test_principals(router::RealmConfig& realm,
                                    const std::string& authrole = "user") {
        for (const char* authid : {"alice", "bob", "carol", "zed", "victim", "someone", "root"}) {
            router::Principal p;
            p.authid = authid;
            p.authrole = authrole;
            p.ticket = std::string("ticket-") + authid;
            realm.principals.push_back(std::move(p));
        }
    }

    static router::RouterConfig default_config() {
        router::RouterConfig config;
        router::RealmConfig realm;
        realm.uri = "realm1";
        add_test_principals(realm);
        config.realms.push_back(realm);
        return config;
    }

protected:
    explicit RouterFixture(router::RouterConfig config = default_config(), int threads = 2)
        : work_(io_.get_executor()),
          router_(std::make_unique<router::Router>(io_.get_executor(), std::move(config))) {
        for (int i = 0; i < threads; ++i)
            threads_.emplace_back([this] { io_.run(); });
    }

    ~RouterFixture() override {
        clients_.clear();
        router_.reset();
        work_.reset();
        io_.stop();
        for (auto& t : threads_)
            t.join();
    }

    TestClient& client() {
        clients_.push_back(std::make_unique<TestClient>(*router_, io_.get_executor()));
        return *clients_.back();
    }

    TestClient& joined(const std::string& realm = "realm1") {
        TestClient& c = client();
        c.join(realm);
        return c;
    }

    router::Router& router() { return *router_; }

    boost::asio::io_context io_;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
    std::unique_ptr<router::Router> router_;
    std::vector<std::thread> threads_;
    std::vector<std::unique_ptr<TestClient>> clients_;
};

} // namespace nexus::test
