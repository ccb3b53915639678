#include "router/cluster/port.hpp"

#include "router/cluster/node.hpp"

namespace nexus::router::cluster {

using wamp::Array;
using wamp::Value;

wamp::Id shared_id(std::string_view realm, std::string_view kind, wamp::MatchPolicy match,
                   std::string_view uri) {
    // 64-bit FNV-1a over the parts, then folded into [1, 2^53].
    std::uint64_t h = 0xcbf29ce484222325ull;
    const auto mix = [&](std::string_view part) {
        for (char c : part) {
            h ^= static_cast<unsigned char>(c);
            h *= 0x100000001b3ull;
        }
        h ^= 0xff;
        h *= 0x100000001b3ull;
    };
    mix(realm);
    mix(kind);
    mix(wamp::match_policy_name(match));
    mix(uri);
    return (h % wamp::max_id) + 1;
}

const std::string& Port::node_name() const { return node_.name(); }

void Port::announce(Array change) { node_.announce(realm_, std::move(change)); }

void Port::forward_event(const std::vector<std::uint32_t>& nodes, const std::string& topic,
                         wamp::Event event, wamp::Object options) {
    node_.send_to_all(nodes, Kind::event,
                      Array{Value(realm_), Value(topic), Value(std::move(options))},
                      wamp::Message(std::move(event)), true);
}

void Port::answer(std::uint32_t origin, wamp::Id callee, wamp::Message message) {
    node_.send(origin, Kind::answer, Array{Value(realm_), Value(callee)}, std::move(message));
}

void Port::invoke(std::uint32_t to, wamp::Id callee, wamp::Message message) {
    const Kind kind =
        std::holds_alternative<wamp::Interrupt>(message) ? Kind::interrupt : Kind::invocation;
    node_.send(to, kind, Array{Value(realm_), Value(callee)}, std::move(message));
}

void Port::kill(std::uint32_t to, wamp::Id session, std::string_view reason,
                std::string_view message, bool silent) {
    node_.send(to, Kind::kill,
               Array{Value(realm_), Value(session), Value(std::string(reason)),
                     Value(std::string(message)), Value(silent)});
}

void Port::modify(std::uint32_t to, wamp::Id session, const wamp::Object& delta) {
    node_.send(to, Kind::modify, Array{Value(realm_), Value(session), Value(delta)});
}

void Port::revoke(std::uint32_t to, std::string_view kind, wamp::Id id, wamp::Id session,
                  std::string_view reason) {
    node_.send(to, Kind::revoke,
               Array{Value(realm_), Value(std::string(kind)), Value(id), Value(session),
                     Value(std::string(reason))});
}

void Port::probe(std::uint32_t to, Array invocations) {
    node_.send(to, Kind::probe, Array{Value(realm_), Value(std::move(invocations))});
}

void Port::lost(std::uint32_t to, Array invocations) {
    node_.send(to, Kind::lost, Array{Value(realm_), Value(std::move(invocations))});
}

std::vector<std::uint32_t> Port::all_nodes() const {
    std::vector<std::uint32_t> out;
    for (const NodeRef& p : node_.peers())
        out.push_back(p.index);
    return out;
}

} // namespace nexus::router::cluster
