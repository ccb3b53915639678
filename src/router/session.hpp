// A joined WAMP session as the realm, broker and dealer see it.
//
// Created at WELCOME, owned by the realm's session table (shared_ptr) and by
// its connection. Its identity fields (authid, authrole) change only through
// wamp.session.modify_details, under the realm lock, and are read under it;
// sending goes through the connection's thread-safe queue.
#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include <nexus/router/outgoing.hpp>
#include <nexus/router/peer.hpp>
#include <nexus/wamp/id.hpp>
#include <nexus/wamp/message.hpp>

#include "router/auth/dynamic_authorizer.hpp"
#include "router/features.hpp"
#include "router/outbound_queue.hpp"

namespace nexus::router {

class Session {
public:
    Session(wamp::Id id, std::string realm, std::shared_ptr<OutboundQueue> queue)
        : id(id), realm(std::move(realm)), queue_(std::move(queue)) {}

    const wamp::Id id;
    const std::string realm;
    /// 0: a session of this router. Otherwise the cluster node it lives on,
    /// and this object is its proxy here: its identity and features as that
    /// node announced them, and a queue whose messages (INVOCATION,
    /// INTERRUPT) go to that node (docs/CLUSTER.md).
    std::uint32_t node = 0;
    std::string authid;
    std::string authrole;
    std::string authmethod;
    std::string authprovider;
    wamp::Object authextra;
    TransportInfo transport;
    std::chrono::system_clock::time_point joined_at; // set by the realm at join
    wamp::Object hello_details;
    PeerFeatures features;

    /// Queues a message for the peer. Never blocks. Messages for a session
    /// whose connection is closing are discarded.
    void send(wamp::Message message) {
        queue_->push(std::make_shared<const Outgoing>(std::move(message)), false);
    }
    void send(OutgoingPtr message) { queue_->push(std::move(message), false); }
    /// EVENTs: may be dropped under OverflowPolicy::drop_events.
    void send_event(OutgoingPtr event) { queue_->push(std::move(event), true); }

    /// Session-scope ids for router -> client requests (INVOCATION).
    wamp::Id next_request_id() { return outgoing_requests_.next(); }
    /// The last id next_request_id() gave out (0 before the first).
    wamp::Id last_request_id() const { return outgoing_requests_.last(); }

    /// Calls of this session in flight (the dealer's count, under the realm lock).
    std::size_t pending_calls = 0;

    /// Details set by wamp.session.modify_details (the Go nexus's extension);
    /// guarded by the realm lock.
    wamp::Object modified_details;

    /// A string detail of the session by name, for exclude_<detail> and
    /// eligible_<detail>: authid, authrole, authmethod, authprovider, then
    /// modified details, then HELLO.Details; nullptr if absent or not a string.
    const std::string* detail(std::string_view key) const {
        if (key == "authid") return &authid;
        if (key == "authrole") return &authrole;
        if (key == "authmethod") return &authmethod;
        if (key == "authprovider") return &authprovider;
        if (auto it = modified_details.find(key); it != modified_details.end())
            return it->second.if_string();
        if (auto it = hello_details.find(key); it != hello_details.end())
            return it->second.if_string();
        return nullptr;
    }

    /// Testaments (advanced/pubsub_testament.md), in the order added; guarded
    /// by the realm lock. [0]: scope "detached", [1]: scope "destroyed".
    struct Testament {
        std::string topic;
        wamp::Payload payload;
        wamp::Object options;
    };
    std::vector<Testament> testaments[2];

    /// Highest client request id seen (for strict sequencing and progressive
    /// call invocations, spec rpc_progressive_call_invocations.md).
    wamp::Id request_watermark = 0;

    /// The realm's permissions for this session's authrole (RealmConfig::roles),
    /// resolved once at join; null when the realm has no such role.
    const RolePermissions* role = nullptr;

    /// Dynamic authorization (roles with an authorizer procedure): created at
    /// the first decision; guarded by the realm lock.
    std::unique_ptr<DynamicAuthorizationState> dynamic_authorization;

    /// Messages waiting behind one that needs an answer from elsewhere
    /// first (a dynamic authorizer's decision, a cluster-wide registration
    /// claim), oldest first, and whether that answer is awaited; realm lock.
    /// The session's messages are still routed in the order they came.
    std::deque<wamp::Message> parked;
    bool waiting = false;
    /// Most messages a session may have waiting; more is a protocol violation.
    static constexpr std::size_t max_parked = 4096;

    bool gone() const { return queue_->closed(); }

private:
    std::shared_ptr<OutboundQueue> queue_;
    wamp::SessionIdGenerator outgoing_requests_;
};

} // namespace nexus::router
