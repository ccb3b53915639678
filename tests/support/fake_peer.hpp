// Test support: a transport of the test's own, attached to a Router with the
// TransportInfo the test chooses (a peer address, a transport type), whose
// messages the test thread takes as they come.
#pragma once

#include <nexus/router/router.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>

namespace nexus::test {

class FakePeer {
public:
    FakePeer(router::Router& router, router::TransportInfo info)
        : state_(std::make_shared<State>()),
          connection_(router.attach(std::make_shared<Adapter>(state_), std::move(info))) {}
    ~FakePeer() { connection_->disconnected(); }

    void send(wamp::Message m) { connection_->receive(std::move(m)); }
    router::Connection& connection() { return *connection_; }

    /// The next message the router queued, or nullopt after `timeout`.
    std::optional<wamp::Message> next(std::chrono::milliseconds timeout = std::chrono::seconds(3)) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        std::unique_lock lock(state_->mutex);
        for (;;) {
            if (!inbox_.empty()) {
                wamp::Message m = inbox_.front()->message();
                inbox_.pop_front();
                return m;
            }
            lock.unlock();
            std::vector<router::OutgoingPtr> taken;
            connection_->take(taken, 64);
            lock.lock();
            for (auto& o : taken)
                inbox_.push_back(std::move(o));
            if (!inbox_.empty()) continue;
            if (state_->cv.wait_until(lock, deadline, [&] { return state_->woken; }) == false)
                return std::nullopt;
            state_->woken = false;
        }
    }

    template <class M> M expect(std::chrono::milliseconds timeout = std::chrono::seconds(3)) {
        auto m = next(timeout);
        if (!m || !std::holds_alternative<M>(*m)) {
            ADD_FAILURE() << "expected " << wamp::message_name(M::type) << ", got "
                          << (m ? wamp::message_name(wamp::message_type(*m)) : "nothing");
            return M{};
        }
        return std::get<M>(std::move(*m));
    }

    bool closed() const {
        std::lock_guard lock(state_->mutex);
        return state_->closed;
    }

private:
    struct State {
        std::mutex mutex;
        std::condition_variable cv;
        bool woken = false;
        bool closed = false;
    };
    struct Adapter final : router::Peer {
        explicit Adapter(std::shared_ptr<State> s) : state(std::move(s)) {}
        void wake() override {
            std::lock_guard lock(state->mutex);
            state->woken = true;
            state->cv.notify_all();
        }
        void close() override {
            std::lock_guard lock(state->mutex);
            state->closed = state->woken = true;
            state->cv.notify_all();
        }
        std::shared_ptr<State> state;
    };

    std::shared_ptr<State> state_;
    std::deque<router::OutgoingPtr> inbox_;
    std::unique_ptr<router::Connection> connection_;
};

} // namespace nexus::test
