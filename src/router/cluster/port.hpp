// cluster::Port: what a realm's broker and dealer use of the cluster, called
// under the realm lock. Nothing here waits: messages are queued for the
// cluster node's strand, store operations answer later through the realm.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nexus/wamp/message.hpp>
#include <nexus/wamp/uri.hpp>

namespace nexus::router::cluster {

class Node;

/// The id of a subscription or registration (match, uri) of `realm`: the
/// same on every node, so that the meta API agrees cluster-wide. Uniform in
/// [1, 2^53] like any id; two patterns sharing one is as likely as two
/// random ids colliding.
wamp::Id shared_id(std::string_view realm, std::string_view kind, wamp::MatchPolicy match,
                   std::string_view uri);

/// The directory changes one node announces about a realm (docs/CLUSTER.md).
namespace change {
inline constexpr std::string_view join = "join";   // [join, session]
inline constexpr std::string_view leave = "leave"; // [leave, id]
inline constexpr std::string_view identity =
    "identity";                                      // [identity, id, authid, authrole, details]
inline constexpr std::string_view subscribe = "sub"; // [sub, id, match, uri, nkey]
inline constexpr std::string_view unsubscribe = "unsub"; // [unsub, id, match, uri]
inline constexpr std::string_view register_ = "reg"; // [reg, id, match, uri, invoke, flags, order]
inline constexpr std::string_view unregister = "unreg";    // [unreg, id, match, uri]
inline constexpr std::string_view testament = "testament"; // [testament, id, scope, testament|null]
inline constexpr std::string_view retained = "retained";   // [retained, topic, event]
inline constexpr std::string_view cookie = "cookie";       // [cookie, cookie, identity]
} // namespace change

class Port {
public:
    Port(Node& node, std::string realm) : node_(node), realm_(std::move(realm)) {}

    const std::string& realm() const { return realm_; }
    const std::string& node_name() const;
    Node& node() { return node_; }

    /// A change of this node's directory for the realm, to every node.
    void announce(wamp::Array change);
    /// An event published here, to `nodes` (those holding matching
    /// subscriptions, or all when it is retained or kept in history).
    /// `options` are the PUBLISH options the receivers select subscribers by.
    void forward_event(const std::vector<std::uint32_t>& nodes, const std::string& topic,
                       wamp::Event event, wamp::Object options);
    /// A YIELD or ERROR of local callee `callee`, answering the invocation
    /// node `origin` sent it.
    void answer(std::uint32_t origin, wamp::Id callee, wamp::Message message);
    /// An INVOCATION or INTERRUPT for `callee`, a session of node `to`.
    void invoke(std::uint32_t to, wamp::Id callee, wamp::Message message);
    /// Asks node `to` to kill, revoke from or modify its session.
    void kill(std::uint32_t to, wamp::Id session, std::string_view reason, std::string_view message,
              bool silent);
    void modify(std::uint32_t to, wamp::Id session, const wamp::Object& delta);
    void revoke(std::uint32_t to, std::string_view kind, wamp::Id id, wamp::Id session,
                std::string_view reason);
    /// Asks node `to` whether it still holds these invocations ([callee,
    /// request] pairs), and answers such a question with those it does not.
    void probe(std::uint32_t to, wamp::Array invocations);
    void lost(std::uint32_t to, wamp::Array invocations);
    /// Every other live node.
    std::vector<std::uint32_t> all_nodes() const;

private:
    Node& node_;
    const std::string realm_;
};

} // namespace nexus::router::cluster
