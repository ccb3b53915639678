// Broker: the realm's publish & subscribe (spec basic/publish_subscribe.md and
// the advanced pub/sub features listed in spec/CHECKLIST.md §9).
//
// Driven under the realm lock (see realm_context.hpp). Sends replies and EVENTs
// through Session::send / send_event; never blocks. The message handlers answer
// application errors with ERROR messages themselves and return a Failure only
// for protocol violations, which make the realm abort the session.
#pragma once

#include <memory>

#include <nexus/wamp/expected.hpp>
#include <nexus/wamp/message.hpp>

#include "router/realm_context.hpp"
#include "router/session.hpp"

namespace nexus::router {

class BrokerImpl;

class Broker {
public:
    explicit Broker(RealmContext& realm);
    ~Broker();

    wamp::Status subscribe(Session& subscriber, wamp::Subscribe&& message);
    wamp::Status unsubscribe(Session& subscriber, const wamp::Unsubscribe& message);
    wamp::Status publish(Session& publisher, wamp::Publish&& message);

    /// The session left: drop its subscriptions (no UNSUBSCRIBED is sent).
    void remove_session(Session& session);

private:
    std::unique_ptr<BrokerImpl> impl_;
};

} // namespace nexus::router
