// The dealer in a cluster (docs/CLUSTER.md): callees on other nodes as
// proxies in the same registrations, claims in the shared store, and the
// invocations other nodes send to callees here (relayed: the caller's node
// owns the call, this node only passes messages between it and the callee).
#include <algorithm>

#include <nexus/wamp/uris.hpp>

#include "router/cluster/port.hpp"
#include "router/dealer/dealer_impl.hpp"

namespace nexus::router {

using wamp::MatchPolicy;
using wamp::Value;

void DealerImpl::claim_result(const std::string& key, const std::optional<UriError>& refusal) {
    if (refusal)
        refused_.insert_or_assign(key, *refusal);
    else
        claimed_.insert(key);
}

std::vector<std::pair<std::string, std::string>> DealerImpl::claims() const {
    std::vector<std::pair<std::string, std::string>> out;
    for (const std::string& key : claimed_) {
        const auto colon = key.find(':');
        auto match = wamp::parse_match_policy(std::string_view(key).substr(0, colon));
        const Registration* reg =
            match ? index_.find(std::string_view(key).substr(colon + 1), *match) : nullptr;
        if (reg) out.emplace_back(key, std::string(dealing::invoke_name(reg->invoke)));
    }
    return out;
}

void DealerImpl::add_remote(Session& proxy, MatchPolicy match, std::string uri,
                            dealing::Invoke invoke, Callee callee) {
    Registration* reg = index_.find(uri, match);
    if (reg && (reg->invoke != invoke || reg->invoke == dealing::Invoke::single ||
                std::any_of(reg->callees.begin(), reg->callees.end(),
                            [&](const Callee& c) { return c.session == &proxy; })))
        return; // the store let only one in; a stale announcement
    const bool created = !reg;
    if (created) reg = create(std::move(uri), match, invoke);
    callee.session = &proxy;
    insert_callee(*reg, std::move(callee));
    by_callee_[&proxy].push_back(reg->id);
    meta_registered(proxy.id, reg->id, created);
}

void DealerImpl::remove_remote(Session& proxy, MatchPolicy match, std::string_view uri) {
    Registration* reg = index_.find(uri, match);
    if (!reg || !remove_callee(*reg, proxy)) return;
    const wamp::Id id = reg->id;
    forget_registration_of(proxy, id);
    const bool deleted = reg->callees.empty();
    if (deleted) destroy(reg);
    meta_membership("wamp.registration.on_unregister", proxy.id, id);
    if (deleted) meta_membership("wamp.registration.on_delete", proxy.id, id);
}

void DealerImpl::snapshot(wamp::Array& out) const {
    for (const auto& [session, ids] : by_callee_) {
        if (session->node != 0) continue;
        for (wamp::Id id : ids) {
            auto it = registrations_.find(id);
            if (it == registrations_.end()) continue;
            const Registration& reg = *it->second;
            for (const Callee& c : reg.callees)
                if (c.session == session)
                    out.emplace_back(wamp::Array{
                        Value(std::string(cluster::change::register_)), Value(session->id),
                        Value(std::string(wamp::match_policy_name(reg.match))), Value(reg.uri),
                        Value(std::string(dealing::invoke_name(reg.invoke))),
                        Value(wamp::Array{Value(c.disclose_caller), Value(c.forward_timeout)}),
                        Value(c.nkey), Value(c.order)});
        }
    }
}

// --- invocations relayed for other nodes ---------------------------------------------------

void DealerImpl::relay_invocation(std::uint32_t origin, Session& callee, wamp::Invocation&& m) {
    // A further chunk of progressive call inputs goes under the same request.
    auto key = std::make_tuple(origin, static_cast<const Session*>(&callee), m.request);
    wamp::Id request;
    if (auto it = relayed_.find(key); it != relayed_.end()) {
        request = it->second;
    } else {
        request = callee.next_request_id();
        relayed_.emplace(key, request);
        relays_.emplace(SessionRequest{&callee, request}, Relay{origin, m.request});
    }
    m.request = request;
    callee.send(std::move(m));
}

void DealerImpl::relay_interrupt(std::uint32_t origin, Session& callee, wamp::Interrupt&& m) {
    auto it =
        relayed_.find(std::make_tuple(origin, static_cast<const Session*>(&callee), m.request));
    if (it == relayed_.end()) return; // answered meanwhile
    m.request = it->second;
    callee.send(std::move(m));
}

bool DealerImpl::relayed_answer(Session& callee, wamp::Id request, wamp::Message answer) {
    auto it = relays_.find(SessionRequest{&callee, request});
    if (it == relays_.end()) return false;
    const Relay relay = it->second;
    bool final = true;
    wamp::Message back = std::move(answer);
    if (auto* y = std::get_if<wamp::Yield>(&back)) {
        y->request = relay.origin_request;
        if (auto p = y->options.find("progress"); p != y->options.end() && p->second == Value(true))
            final = false;
    } else if (auto* e = std::get_if<wamp::Error>(&back)) {
        e->request = relay.origin_request;
    }
    if (final) {
        relays_.erase(it);
        relayed_.erase(std::make_tuple(relay.origin, static_cast<const Session*>(&callee),
                                       relay.origin_request));
    }
    if (cluster::Port* cluster = realm_.cluster())
        cluster->answer(relay.origin, callee.id, std::move(back));
    return true;
}

void DealerImpl::forget_origin(std::uint32_t origin) {
    std::erase_if(relays_, [&](const auto& e) { return e.second.origin == origin; });
    std::erase_if(relayed_, [&](const auto& e) { return std::get<0>(e.first) == origin; });
}

// --- invocations the bus lost ----------------------------------------------------------------

std::map<std::uint32_t, wamp::Array>
DealerImpl::remote_invocations(std::chrono::steady_clock::time_point sent_before) const {
    std::map<std::uint32_t, wamp::Array> out;
    for (const auto& [key, call] : by_caller_)
        if (call.callee->node != 0 && call.started < sent_before)
            out[call.callee->node].emplace_back(
                wamp::Array{Value(call.callee->id), Value(call.invocation_request)});
    return out;
}

bool DealerImpl::relaying(std::uint32_t origin, const Session& callee, wamp::Id request) const {
    return relayed_.contains(std::make_tuple(origin, &callee, request));
}

void DealerImpl::invocation_lost(Session& proxy, wamp::Id request, const std::string& nodes) {
    auto it = by_callee_request_.find({&proxy, request});
    if (it == by_callee_request_.end()) return; // answered meanwhile
    PendingCall& call = *it->second;
    // The callee's node answers in order: an answer it sent came before this,
    // so the invocation or its final answer was lost on the way.
    send_error(*call.caller, wamp::MessageType::call, call.call_request,
               wamp::errors::cluster_unavailable,
               "the cluster lost a message of this call between " + nodes +
                   " (the link to NATS broke, or a node fell behind); the call may or may not "
                   "have run");
    call.outcome = CallOutcome::error;
    finish(call);
}

} // namespace nexus::router
