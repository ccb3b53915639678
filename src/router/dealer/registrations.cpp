// REGISTER, UNREGISTER, revocation (advanced/rpc_registration_revocation.md)
// and the queries of the registration meta API.
#include <algorithm>

#include <nexus/wamp/uris.hpp>

#include "router/cluster/port.hpp"
#include "router/dealer/dealer_impl.hpp"
#include "router/timestamp.hpp"

namespace nexus::router {

using dealing::flag;
using dealing::Invoke;
using wamp::MatchPolicy;
using wamp::Object;
using wamp::Value;

bool DealerImpl::valid_pattern(std::string_view uri, MatchPolicy match) const {
    return router::valid_pattern(uri, match, rule());
}

wamp::Status DealerImpl::register_(Session& callee, wamp::Register&& m) {
    const auto refuse = [&](std::string_view uri, std::string message) {
        send_error(callee, wamp::MessageType::register_, m.request, uri, std::move(message));
        return wamp::Status{};
    };
    MatchPolicy match = MatchPolicy::exact;
    Invoke invoke = Invoke::single;
    // Null is unset, as in SUBSCRIBE (see BrokerImpl::subscribe).
    if (auto it = m.options.find("match"); it != m.options.end() && !it->second.is_null()) {
        const std::string* s = it->second.if_string();
        auto p = s ? wamp::parse_match_policy(*s) : std::nullopt;
        if (!p)
            return refuse(wamp::errors::invalid_argument,
                          "match must be \"exact\", \"prefix\" or \"wildcard\"");
        match = *p;
    }
    if (auto it = m.options.find("invoke"); it != m.options.end() && !it->second.is_null()) {
        const std::string* s = it->second.if_string();
        auto p = s ? dealing::parse_invoke(*s) : std::nullopt;
        if (!p)
            return refuse(wamp::errors::invalid_argument,
                          "invoke must be single, roundrobin, random, first or last");
        invoke = *p;
    }
    std::string nkey;
    if (auto it = m.options.find("nkey"); it != m.options.end() && !it->second.is_null()) {
        const std::string* s = it->second.if_string();
        if (!s || s->empty())
            return refuse(wamp::errors::invalid_argument, "nkey must be a string");
        nkey = *s;
    }
    if (!valid_pattern(m.procedure, match))
        return refuse(wamp::errors::invalid_uri, "invalid procedure \"" + m.procedure + "\"");
    if (wamp::is_reserved_uri(m.procedure))
        return refuse(wamp::errors::invalid_uri,
                      "procedures starting with \"wamp.\" are reserved for the router");
    const bool disclose_caller = flag(m.options, "disclose_caller");
    if (disclose_caller && !realm_.may_request_disclosure(callee))
        return refuse(wamp::errors::option_disallowed_disclose_me,
                      "this realm does not allow caller disclosure (allow_disclose)");

    if (const std::size_t max = realm_.config().max_registrations_per_session; max != 0) {
        auto mine = by_callee_.find(&callee);
        if (mine != by_callee_.end() && mine->second.size() >= max)
            return refuse(wamp::errors::limit_exceeded,
                          "this session already has " + std::to_string(max) +
                              " registrations (max_registrations_per_session)");
    }
    Registration* reg = index_.find(m.procedure, match);
    // In a cluster one registration per (match, uri) exists cluster-wide:
    // this node claims it in the shared store first (a shared registration
    // lists every node with callees); the REGISTER waits for the answer.
    if (realm_.cluster()) {
        const std::string key = claim_key(match, m.procedure);
        if (auto refusal = refused_.find(key); refusal != refused_.end()) {
            UriError why = std::move(refusal->second);
            refused_.erase(refusal);
            return refuse(why.uri, std::move(why.message));
        }
        if (!claimed_.contains(key)) {
            realm_.claim(key, dealing::invoke_name(invoke));
            realm_.defer(key);
            return {};
        }
    }
    if (reg) {
        const bool already = std::any_of(reg->callees.begin(), reg->callees.end(),
                                         [&](const Callee& c) { return c.session == &callee; });
        if (reg->invoke == Invoke::single || reg->invoke != invoke || already)
            return refuse(
                wamp::errors::procedure_already_exists,
                "procedure \"" + m.procedure + "\" is already registered" +
                    (reg->invoke != Invoke::single && reg->invoke != invoke
                         ? " with invoke=" + std::string(dealing::invoke_name(reg->invoke))
                         : std::string()));
    }
    const bool created = !reg;
    if (created) reg = create(std::move(m.procedure), match, invoke);
    Callee entry{&callee, disclose_caller,
                 flag(m.options, "forward_timeout") && callee.features.callee_call_timeout,
                 std::move(nkey), next_order()};
    if (cluster::Port* cluster = realm_.cluster())
        cluster->announce(wamp::Array{
            Value(std::string(cluster::change::register_)), Value(callee.id),
            Value(std::string(wamp::match_policy_name(match))), Value(reg->uri),
            Value(std::string(dealing::invoke_name(invoke))),
            Value(wamp::Array{Value(entry.disclose_caller), Value(entry.forward_timeout)}),
            Value(entry.nkey), Value(entry.order)});
    insert_callee(*reg, std::move(entry));
    by_callee_[&callee].push_back(reg->id);
    callee.send(wamp::Registered{m.request, reg->id});
    meta_registered(callee.id, reg->id, created);
    return {};
}

void DealerImpl::meta_registered(wamp::Id callee, wamp::Id registration, bool created) {
    if (created)
        realm_.publish_meta(
            "wamp.registration.on_create",
            [&] {
                auto info = *get(registration);
                return wamp::Array{Value(callee),
                                   Value{{"id", info.id},
                                         {"created", info.created},
                                         {"uri", info.uri},
                                         {"match", wamp::match_policy_name(info.match)},
                                         {"invoke", info.invoke}}};
            },
            callee);
    meta_membership("wamp.registration.on_register", callee, registration);
}

void DealerImpl::forget_registration_of(Session& callee, wamp::Id registration) {
    auto& mine = by_callee_[&callee];
    mine.erase(std::remove(mine.begin(), mine.end(), registration), mine.end());
    if (mine.empty()) by_callee_.erase(&callee);
}

wamp::Status DealerImpl::unregister(Session& callee, const wamp::Unregister& m) {
    auto it = registrations_.find(m.registration);
    if (it == registrations_.end() || !remove_callee(*it->second, callee)) {
        send_error(callee, wamp::MessageType::unregister, m.request,
                   wamp::errors::no_such_registration,
                   "no registration " + std::to_string(m.registration) + " of this session");
        return {};
    }
    forget_registration_of(callee, m.registration);
    const wamp::Id id = m.registration;
    const bool deleted = it->second->callees.empty();
    callee_removed(callee, it->second->match, it->second->uri, deleted);
    if (deleted) destroy(it->second.get());
    callee.send(wamp::Unregistered{m.request, std::nullopt});
    meta_membership("wamp.registration.on_unregister", callee.id, id);
    if (deleted) meta_membership("wamp.registration.on_delete", callee.id, id);
    return {};
}

OrUriError<std::vector<wamp::Id>> DealerImpl::revoke(wamp::Id id, std::optional<wamp::Id> only,
                                                     const std::string& reason) {
    auto it = registrations_.find(id);
    if (it == registrations_.end())
        return UriError{wamp::errors::no_such_registration,
                        "no registration " + std::to_string(id)};
    Registration& reg = *it->second;
    std::vector<Session*> removed;
    for (const Callee& c : reg.callees)
        if (!only || c.session->id == *only) removed.push_back(c.session);
    if (only && removed.empty())
        return UriError{wamp::errors::no_such_session, "session " + std::to_string(*only) +
                                                           " is not a callee of " +
                                                           std::to_string(id)};
    std::vector<wamp::Id> ids;
    for (Session* s : removed) {
        if (s->node != 0) {
            // Its own node revokes it (and tells everyone).
            realm_.cluster()->revoke(s->node, "registration", id, s->id, reason);
            ids.push_back(s->id);
            continue;
        }
        remove_callee(reg, *s);
        forget_registration_of(*s, id);
        callee_removed(*s, reg.match, reg.uri, reg.callees.empty());
        // Only peers that announced the feature may be sent the revocation form.
        if (s->features.callee_registration_revocation) {
            Object details{{"registration", id}};
            if (!reason.empty()) details.emplace("reason", reason);
            s->send(wamp::Unregistered{0, std::move(details)});
        }
        ids.push_back(s->id);
    }
    const bool deleted = reg.callees.empty();
    const wamp::Id last = removed.back()->id;
    if (deleted) destroy(&reg);
    for (Session* s : removed)
        if (s->node == 0) meta_membership("wamp.registration.on_unregister", s->id, id);
    if (deleted) meta_membership("wamp.registration.on_delete", last, id);
    return ids;
}

DealerImpl::Registration* DealerImpl::create(std::string uri, MatchPolicy match, Invoke invoke) {
    auto owned = std::make_unique<Registration>();
    Registration* r = owned.get();
    // In a cluster every node names a registration alike (the meta API).
    r->id = realm_.cluster() ? cluster::shared_id(realm_.config().uri, "registration", match, uri)
                             : ids_.next();
    r->uri = std::move(uri);
    r->match = match;
    r->invoke = invoke;
    r->created_ms = now_ms();
    registrations_.emplace(r->id, std::move(owned));
    index_.insert(r->uri, match, r);
    return r;
}

void DealerImpl::destroy(Registration* r) {
    index_.erase(r->uri, r->match);
    registrations_.erase(r->id);
}

bool DealerImpl::remove_callee(Registration& reg, Session& session) {
    auto it = std::find_if(reg.callees.begin(), reg.callees.end(),
                           [&](const Callee& c) { return c.session == &session; });
    if (it == reg.callees.end()) return false;
    const auto index = static_cast<std::size_t>(it - reg.callees.begin());
    reg.callees.erase(it);
    if (reg.next > index) --reg.next; // keep the roundrobin turn where it was
    return true;
}

std::string DealerImpl::claim_key(MatchPolicy match, std::string_view uri) {
    return std::string(wamp::match_policy_name(match)) + ":" + std::string(uri);
}

std::string DealerImpl::next_order() {
    // Zero-padded, so that the strings sort as the times do; then which node
    // and which of its registrations.
    std::string t = std::to_string(now_ms());
    std::string seq = std::to_string(++order_sequence_);
    const std::string node = realm_.cluster() ? realm_.cluster()->node_name() : std::string();
    return std::string(20 - t.size(), '0') + t + "/" + node + "/" +
           std::string(20 - seq.size(), '0') + seq;
}

void DealerImpl::insert_callee(Registration& reg, Callee callee) {
    auto at = std::upper_bound(reg.callees.begin(), reg.callees.end(), callee,
                               [](const Callee& a, const Callee& b) { return a.order < b.order; });
    const auto index = static_cast<std::size_t>(at - reg.callees.begin());
    reg.callees.insert(at, std::move(callee));
    if (reg.next > index) ++reg.next; // keep the roundrobin turn where it was
}

void DealerImpl::callee_removed(const Session& callee, MatchPolicy match, const std::string& uri,
                                bool deleted, bool announce) {
    cluster::Port* cluster = realm_.cluster();
    if (!cluster || callee.node != 0) return;
    if (announce)
        cluster->announce(
            wamp::Array{Value(std::string(cluster::change::unregister)), Value(callee.id),
                        Value(std::string(wamp::match_policy_name(match))), Value(uri)});
    // This node's last callee of the registration: its claim goes.
    bool local_left = false;
    if (!deleted)
        if (const Registration* reg = index_.find(uri, match))
            local_left = std::any_of(reg->callees.begin(), reg->callees.end(),
                                     [&](const Callee& c) { return c.session->node == 0; });
    if (!local_left) {
        const std::string key = claim_key(match, uri);
        if (claimed_.erase(key)) realm_.release(key);
    }
}

// on_register, on_unregister, on_delete: [session|id, registration|id], not
// to the session itself.
void DealerImpl::meta_membership(std::string_view topic, wamp::Id session, wamp::Id registration) {
    realm_.publish_meta(
        topic,
        [&] {
            return wamp::Array{Value(session), Value(registration)};
        },
        session);
}

std::vector<wamp::Id> DealerImpl::list(MatchPolicy match) const {
    std::vector<wamp::Id> ids;
    for (const auto& [id, reg] : registrations_)
        if (reg->match == match) ids.push_back(id);
    std::sort(ids.begin(), ids.end());
    return ids;
}

std::optional<wamp::Id> DealerImpl::lookup(std::string_view uri, MatchPolicy match) const {
    if (const Registration* r = index_.find(uri, match)) return r->id;
    return std::nullopt;
}

std::optional<wamp::Id> DealerImpl::match(std::string_view uri) const {
    if (const Registration* r = index_.best_match(uri)) return r->id;
    return std::nullopt;
}

std::optional<Dealer::RegistrationInfo> DealerImpl::get(wamp::Id id) const {
    auto it = registrations_.find(id);
    if (it == registrations_.end()) return std::nullopt;
    const Registration& r = *it->second;
    return Dealer::RegistrationInfo{r.id, format_timestamp(r.created_ms), r.uri, r.match,
                                    std::string(dealing::invoke_name(r.invoke))};
}

std::optional<std::vector<wamp::Id>> DealerImpl::callees(wamp::Id id) const {
    auto it = registrations_.find(id);
    if (it == registrations_.end()) return std::nullopt;
    std::vector<wamp::Id> ids;
    for (const Callee& c : it->second->callees)
        ids.push_back(c.session->id);
    return ids;
}

} // namespace nexus::router
