#include "router/internal_caller.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include <nexus/wamp/id.hpp>

namespace nexus::router {

struct InternalCaller::State {
    boost::asio::strand<boost::asio::any_io_executor> strand;
    std::shared_ptr<OutboundQueue> queue;
    std::mutex mutex;
    std::unordered_map<wamp::Id, Done> waiting;
    wamp::SessionIdGenerator requests;

    explicit State(boost::asio::any_io_executor executor)
        : strand(boost::asio::make_strand(std::move(executor))) {}

    void drain() {
        std::vector<OutgoingPtr> batch;
        while (queue->take(batch, 64) > 0) {
            for (const OutgoingPtr& out : batch) {
                const wamp::Message& m = out->message();
                wamp::Id request = 0;
                if (auto* r = std::get_if<wamp::Result>(&m)) {
                    // We never ask for progressive results; ignore any anyway.
                    if (auto p = r->details.find("progress");
                        p != r->details.end() && p->second == wamp::Value(true))
                        continue;
                    request = r->request;
                } else if (auto* e = std::get_if<wamp::Error>(&m)) {
                    request = e->request;
                } else {
                    continue;
                }
                Done done;
                {
                    std::lock_guard lock(mutex);
                    auto it = waiting.find(request);
                    if (it == waiting.end()) continue;
                    done = std::move(it->second);
                    waiting.erase(it);
                }
                done(m);
            }
            batch.clear();
        }
    }
};

class InternalCaller::Peer final : public router::Peer {
public:
    explicit Peer(std::weak_ptr<State> state) : state_(std::move(state)) {}
    void wake() override {
        auto state = state_.lock();
        if (!state) return;
        boost::asio::post(state->strand, [weak = state_] {
            if (auto s = weak.lock()) s->drain();
        });
    }
    void close() override {}

private:
    std::weak_ptr<State> state_;
};

InternalCaller::InternalCaller(std::string realm, boost::asio::any_io_executor executor,
                               wamp::Id session)
    : state_(std::make_shared<State>(std::move(executor))) {
    // Answers to the router are few and small; never drop or disconnect them.
    state_->queue = std::make_shared<OutboundQueue>(std::make_shared<Peer>(state_), 1 << 20,
                                                    OverflowPolicy::drop_events);
    session_ = std::make_shared<Session>(session, std::move(realm), state_->queue);
    session_->authid = "nexus";
    session_->authrole = "nexus.router";
    session_->authmethod = "internal";
    session_->authprovider = "nexus";
    session_->transport.type = "internal";
    session_->features.caller = true;
}

InternalCaller::~InternalCaller() = default;

wamp::Id InternalCaller::expect_answer(Done done) {
    std::lock_guard lock(state_->mutex);
    const wamp::Id id = state_->requests.next();
    state_->waiting.emplace(id, std::move(done));
    return id;
}

} // namespace nexus::router
