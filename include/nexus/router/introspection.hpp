// What Router's introspection calls return: copies of a realm's state taken
// under its lock, safe to keep and read on any thread afterwards.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <nexus/wamp/id.hpp>
#include <nexus/wamp/uri.hpp>

namespace nexus::router {

struct RealmSummary {
    std::string uri;
    std::size_t sessions = 0;
    std::size_t registrations = 0;
    std::size_t subscriptions = 0;
};

struct SessionSummary {
    wamp::Id id = 0;
    std::string authid;
    std::string authrole;
    std::string authmethod;
    std::string authprovider;
    std::string transport;  // "websocket", "rawsocket", "local"
    std::string protocol;   // "wamp.2.json", ...
    std::string serializer; // "json", "msgpack", "cbor"
    std::string peer;       // "tcp4:127.0.0.1:53172", ...
    std::chrono::system_clock::time_point joined_at;
    std::uint64_t messages_received = 0; // from the peer, over the connection's life
    std::uint64_t messages_sent = 0;     // handed to the peer's transport
    std::size_t queue_depth = 0;         // messages waiting in its outbound queue
    std::uint64_t events_dropped = 0;    // under OverflowPolicy::drop_events
};

/// A page of a realm's sessions, oldest first, and how many there are in all.
struct SessionPage {
    std::size_t total = 0;
    std::vector<SessionSummary> sessions;
};

struct RegistrationSummary {
    wamp::Id id = 0;
    std::string uri;
    wamp::MatchPolicy match = wamp::MatchPolicy::exact;
    std::string invoke;  // "single", "roundrobin", ...
    std::string created; // ISO 8601, UTC
    std::vector<wamp::Id> callees;
};

struct SubscriptionSummary {
    wamp::Id id = 0;
    std::string uri;
    wamp::MatchPolicy match = wamp::MatchPolicy::exact;
    std::string created; // ISO 8601, UTC
    std::vector<wamp::Id> subscribers;
};

} // namespace nexus::router
