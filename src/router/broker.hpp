// Broker: the realm's publish & subscribe (spec basic/publish_subscribe.md and
// the advanced pub/sub features listed in spec/CHECKLIST.md §9).
//
// Driven under the realm lock (see realm_context.hpp). Sends replies and EVENTs
// through Session::send / send_event; never blocks. The message handlers answer
// application errors with ERROR messages themselves and return a Failure only
// for protocol violations, which make the realm abort the session.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nexus/wamp/expected.hpp>
#include <nexus/wamp/message.hpp>
#include <nexus/wamp/uri.hpp>

#include "router/realm_context.hpp"
#include "router/session.hpp"
#include "router/uri_error.hpp"

namespace nexus::router {

class BrokerImpl;

class Broker {
public:
    explicit Broker(RealmContext& realm);
    ~Broker();

    wamp::Status subscribe(Session& subscriber, wamp::Subscribe&& message);
    wamp::Status unsubscribe(Session& subscriber, const wamp::Unsubscribe& message);
    /// `force_disclose`: an authorization rule discloses the publisher to subscribers.
    wamp::Status publish(Session& publisher, wamp::Publish&& message, bool force_disclose = false);

    /// The session left: drop its subscriptions (no UNSUBSCRIBED is sent).
    void remove_session(Session& session);

    // The cluster (docs/CLUSTER.md): subscribers on other nodes are their
    // proxies (Session::node); events for them go once per node.

    /// An event another node forwarded (its PUBLISH options select receivers).
    void deliver_remote(const std::string& topic, wamp::Event&& event, const wamp::Object& options);
    /// A subscription of a session of another node, or its end.
    void add_remote(Session& proxy, wamp::MatchPolicy match, std::string uri, std::string nkey);
    void remove_remote(Session& proxy, wamp::MatchPolicy match, std::string_view uri);
    /// This node's subscriptions and retained events, as directory changes.
    void snapshot(wamp::Array& out) const;
    /// A retained event another node had when this one joined.
    void restore_retained(const std::string& topic, const wamp::Value& stored);

    /// An event from the router itself (meta events), to every subscriber but
    /// `cause` (the session whose action made it; 0: none). `args` is only
    /// called when someone will receive it.
    void publish_meta(std::string_view topic, const std::function<wamp::Array()>& args,
                      wamp::Id cause);

    /// Revokes a subscription from `subscriber`, or from all of its
    /// subscribers (advanced/pubsub_subscription_revocation.md): those that
    /// announced subscription_revocation get UNSUBSCRIBED [35, 0, {subscription,
    /// reason}]. The ids of the subscribers removed.
    OrUriError<std::vector<wamp::Id>>
    revoke(wamp::Id subscription, std::optional<wamp::Id> subscriber, const std::string& reason);

    // Queries for the subscription meta API (spec advanced/meta_api_subscriptions.md).

    struct SubscriptionInfo {
        wamp::Id id = 0;
        std::string created; // ISO 8601, UTC
        std::string uri;
        wamp::MatchPolicy match = wamp::MatchPolicy::exact;
    };
    std::size_t count() const;
    /// Ids of all subscriptions with the given match policy.
    std::vector<wamp::Id> list(wamp::MatchPolicy match) const;
    /// The subscription for exactly (topic, match), if any.
    std::optional<wamp::Id> lookup(std::string_view topic, wamp::MatchPolicy match) const;
    /// All subscriptions that would receive an event published to `topic`.
    std::vector<wamp::Id> match(std::string_view topic) const;
    std::optional<SubscriptionInfo> get(wamp::Id subscription) const;
    std::optional<std::vector<wamp::Id>> subscribers(wamp::Id subscription) const;

    /// Event history (advanced/pubsub_event_history.md) of a subscription whose
    /// (topic, match) is configured in RealmConfig::event_history. `filters` are
    /// the kwargs of wamp.subscription.get_events.
    OrUriError<wamp::Array> get_events(wamp::Id subscription, const wamp::Object& filters,
                                       const Session& requester) const;

private:
    std::unique_ptr<BrokerImpl> impl_;
};

} // namespace nexus::router
