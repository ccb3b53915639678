// A realm served by a cluster (docs/CLUSTER.md): what this node tells the
// others about its sessions, what it keeps of theirs (proxies, their
// subscriptions and registrations), what they send it, and the shared store
// where a registration is claimed cluster-wide.
#include <algorithm>

#include <boost/asio/post.hpp>

#include <nexus/cluster/bus.hpp>
#include <nexus/serialize/serializer.hpp>
#include <nexus/wamp/uri.hpp>
#include <nexus/wamp/uris.hpp>

#include "router/connection.hpp"
#include "router/realm.hpp"

namespace nexus::router {

using cluster::NodeRef;
using wamp::Array;
using wamp::Object;
using wamp::Value;
namespace change = cluster::change;

namespace {

const std::string* string_at(const Array& a, std::size_t i) {
    return a.size() > i ? a[i].if_string() : nullptr;
}

std::optional<wamp::Id> id_at(const Array& a, std::size_t i) {
    if (a.size() <= i) return std::nullopt;
    auto id = a[i].to_uint();
    if (!id || !wamp::is_valid_id(*id)) return std::nullopt;
    return id;
}

bool bool_at(const Array& a, std::size_t i) {
    return a.size() > i && a[i].is_bool() && a[i].as_bool();
}

// What a proxy needs of a session's announced features, as a list of bools.
Array features_value(const PeerFeatures& f) {
    return Array{Value(f.caller),
                 Value(f.callee),
                 Value(f.publisher),
                 Value(f.subscriber),
                 Value(f.callee_call_canceling),
                 Value(f.callee_progressive_call_results),
                 Value(f.callee_progressive_call_invocations),
                 Value(f.callee_call_timeout),
                 Value(f.callee_registration_revocation),
                 Value(f.callee_call_reroute),
                 Value(f.callee_payload_passthru),
                 Value(f.caller_progressive_call_invocations),
                 Value(f.caller_payload_passthru),
                 Value(f.publisher_payload_passthru),
                 Value(f.subscriber_subscription_revocation)};
}

PeerFeatures features_from(const Value& v) {
    PeerFeatures f;
    if (!v.is_array()) return f;
    const Array& a = v.as_array();
    bool* fields[] = {&f.caller,
                      &f.callee,
                      &f.publisher,
                      &f.subscriber,
                      &f.callee_call_canceling,
                      &f.callee_progressive_call_results,
                      &f.callee_progressive_call_invocations,
                      &f.callee_call_timeout,
                      &f.callee_registration_revocation,
                      &f.callee_call_reroute,
                      &f.callee_payload_passthru,
                      &f.caller_progressive_call_invocations,
                      &f.caller_payload_passthru,
                      &f.publisher_payload_passthru,
                      &f.subscriber_subscription_revocation};
    for (std::size_t i = 0; i < std::size(fields) && i < a.size(); ++i)
        *fields[i] = bool_at(a, i);
    return f;
}

// What is sent to a proxy goes to its node: INVOCATIONs and INTERRUPTs, the
// only messages the dealer sends a callee (events go once per node, by the broker).
class ProxyPeer final : public Peer {
public:
    ProxyPeer(cluster::Port& port, std::uint32_t node, wamp::Id session)
        : port_(port), node_(node), session_(session) {}
    void attach(std::weak_ptr<OutboundQueue> queue) { queue_ = std::move(queue); }
    void wake() override {
        auto queue = queue_.lock();
        if (!queue) return;
        std::vector<OutgoingPtr> out;
        while (queue->take(out, 256) > 0) {
            for (const OutgoingPtr& o : out)
                port_.invoke(node_, session_, o->message());
            out.clear();
        }
    }
    void close() override {}

private:
    cluster::Port& port_;
    const std::uint32_t node_;
    const wamp::Id session_;
    std::weak_ptr<OutboundQueue> queue_;
};

wamp::Array testament_value(const Session::Testament& t) {
    return Array{Value(t.topic), Value(t.payload.args()), Value(t.payload.kwargs()),
                 Value(t.options)};
}

UriError unreachable(const std::string& why) {
    return UriError{wamp::errors::cluster_unavailable,
                    "the cluster's shared store cannot be reached: " + why};
}

// A registration's entry in the shared store: the invocation policy and the
// nodes holding callees of it.
struct StoreEntry {
    std::string invoke;
    std::vector<std::string> nodes;
};

std::optional<StoreEntry> read_entry(std::string_view bytes) {
    auto v = serialize::decode_value(wamp::Format::msgpack, bytes);
    if (!v || !v->is_object()) return std::nullopt;
    const Value* invoke = v->find("invoke");
    const Value* nodes = v->find("nodes");
    if (!invoke || !invoke->is_string() || !nodes || !nodes->is_array()) return std::nullopt;
    StoreEntry e{invoke->as_string(), {}};
    for (const Value& n : nodes->as_array())
        if (n.is_string()) e.nodes.push_back(n.as_string());
    return e;
}

std::string write_entry(const StoreEntry& e) {
    Array nodes;
    for (const std::string& n : e.nodes)
        nodes.emplace_back(n);
    std::string out;
    (void)serialize::encode_value_into(
        wamp::Format::msgpack,
        Value(Object{{"invoke", e.invoke}, {"nodes", Value(std::move(nodes))}}), out);
    return out;
}

} // namespace

std::size_t Realm::kill_anywhere_locked(const std::vector<wamp::Id>& ids, std::string_view reason,
                                        std::string_view message, KillNotice notice) {
    std::vector<wamp::Id> here;
    std::size_t elsewhere = 0;
    for (wamp::Id id : ids) {
        auto it = remote_members_.find(id);
        if (it == remote_members_.end()) {
            here.push_back(id);
            continue;
        }
        port_->kill(it->second.session->node, id, reason, message, notice == KillNotice::silent);
        ++elsewhere;
    }
    return kill_locked(here, reason, message, notice) + elsewhere;
}

Session* Realm::any_session_locked(wamp::Id id) {
    if (auto it = members_.find(id); it != members_.end()) return it->second.session.get();
    if (auto it = remote_members_.find(id); it != remote_members_.end())
        return it->second.session.get();
    return nullptr;
}

// --- what this node announces ---------------------------------------------------------------

// [join, id, authid, authrole, authmethod, authprovider, [type, protocol, peer],
//  details, features, testaments[detached, destroyed]]
wamp::Array Realm::join_announcement(const Session& s) const {
    Object details = s.hello_details;
    details.erase("authextra");
    for (const auto& [key, value] : s.modified_details)
        details.insert_or_assign(key, value);
    Array testaments[2];
    for (int scope = 0; scope < 2; ++scope)
        for (const Session::Testament& t : s.testaments[scope])
            testaments[scope].emplace_back(testament_value(t));
    return Array{
        Value(std::string(change::join)),
        Value(s.id),
        Value(s.authid),
        Value(s.authrole),
        Value(s.authmethod),
        Value(s.authprovider),
        Value(Array{Value(s.transport.type), Value(s.transport.protocol), Value(s.transport.peer)}),
        Value(std::move(details)),
        Value(features_value(s.features)),
        Value(Array{Value(std::move(testaments[0])), Value(std::move(testaments[1]))})};
}

wamp::Array Realm::cluster_snapshot() {
    std::lock_guard lock(mutex_);
    Array out;
    for (const auto& [id, m] : members_)
        out.emplace_back(join_announcement(*m.session));
    broker_.snapshot(out);
    dealer_.snapshot(out);
    {
        std::lock_guard cookies(cookies_mutex_);
        const auto now = std::chrono::steady_clock::now();
        for (const auto& [cookie, entry] : cookies_)
            if (entry.expires > now)
                out.emplace_back(
                    Array{Value(std::string(change::cookie)), Value(cookie),
                          Value(Array{Value(entry.identity.authid), Value(entry.identity.authrole),
                                      Value(entry.identity.authmethod),
                                      Value(entry.identity.authprovider)}),
                          Value(static_cast<std::uint64_t>(
                              std::chrono::duration_cast<std::chrono::seconds>(entry.expires - now)
                                  .count()))});
    }
    return out;
}

// --- what other nodes announce --------------------------------------------------------------

void Realm::cluster_change(const NodeRef& node, const Array& change) {
    std::lock_guard lock(mutex_);
    apply_change_locked(node, change);
}

void Realm::remote_join_locked(const NodeRef& node, const Array& c) {
    auto id = id_at(c, 1);
    const Array* transport = c.size() > 6 ? c[6].if_array() : nullptr;
    if (!id || !string_at(c, 2) || !string_at(c, 3) || !transport || transport->size() < 3) return;
    if (members_.contains(*id)) {
        if (logger_)
            logger_(RouterLogLevel::error, "realm " + config_.uri + ": node " + node.name +
                                               " announces session " + std::to_string(*id) +
                                               ", which is one of this node's");
        return;
    }
    auto [it, added] = remote_members_.try_emplace(*id);
    RemoteMember& m = it->second;
    if (!added && m.session->node != node.index) return; // another node's: keep the first
    if (added) {
        auto peer = std::make_shared<ProxyPeer>(*port_, node.index, *id);
        auto queue = std::make_shared<OutboundQueue>(peer, std::size_t{1} << 20,
                                                     OverflowPolicy::drop_events);
        peer->attach(queue);
        m.session = std::make_shared<Session>(*id, config_.uri, queue);
        m.session->node = node.index;
    }
    Session& s = *m.session;
    s.authid = *string_at(c, 2);
    s.authrole = *string_at(c, 3);
    s.authmethod = string_at(c, 4) ? *string_at(c, 4) : std::string();
    s.authprovider = string_at(c, 5) ? *string_at(c, 5) : std::string();
    s.transport.type = (*transport)[0].if_string() ? *(*transport)[0].if_string() : "";
    s.transport.protocol = (*transport)[1].if_string() ? *(*transport)[1].if_string() : "";
    s.transport.peer = (*transport)[2].if_string() ? *(*transport)[2].if_string() : "";
    if (c.size() > 7 && c[7].is_object()) s.hello_details = c[7].as_object();
    if (c.size() > 8) s.features = features_from(c[8]);
    s.role = find_role(s.authrole);
    if (const Array* t = c.size() > 9 ? c[9].if_array() : nullptr; t && t->size() == 2)
        for (int scope = 0; scope < 2; ++scope) {
            s.testaments[scope].clear();
            if (const Array* list = (*t)[scope].if_array())
                for (const Value& entry : *list)
                    if (const Array* e = entry.if_array();
                        e && e->size() == 4 && (*e)[0].is_string())
                        s.testaments[scope].push_back(
                            {(*e)[0].as_string(),
                             wamp::Payload((*e)[1].is_array() ? (*e)[1].as_array() : Array{},
                                           (*e)[2].is_object() ? (*e)[2].as_object() : Object{}),
                             (*e)[3].is_object() ? (*e)[3].as_object() : Object{}});
        }
    if (added) publish_meta("wamp.session.on_join", [&] { return Array{describe(s)}; });
}

void Realm::remote_leave_locked(wamp::Id id, bool announce) {
    auto it = remote_members_.find(id);
    if (it == remote_members_.end()) return;
    std::shared_ptr<Session> proxy = it->second.session;
    broker_.remove_session(*proxy);
    dealer_.remove_session(*proxy);
    remote_members_.erase(it);
    if (announce)
        publish_meta("wamp.session.on_leave", [&] {
            return Array{Value(id), Value(proxy->authid), Value(proxy->authrole)};
        });
}

void Realm::apply_change_locked(const NodeRef& node, const Array& c) {
    const std::string* kind = string_at(c, 0);
    if (!kind) return;
    if (*kind == change::join) return remote_join_locked(node, c);
    if (*kind == change::retained) {
        if (const std::string* topic = string_at(c, 1); topic && c.size() > 2)
            broker_.restore_retained(*topic, c[2]);
        return;
    }
    if (*kind == change::cookie) {
        const std::string* cookie = string_at(c, 1);
        const Array* who = c.size() > 2 ? c[2].if_array() : nullptr;
        auto seconds = c.size() > 3 ? c[3].to_uint() : std::nullopt;
        if (!cookie || !who || who->size() < 4 || !seconds) return;
        Identity identity;
        for (auto [field, i] :
             {std::pair{&identity.authid, 0}, std::pair{&identity.authrole, 1},
              std::pair{&identity.authmethod, 2}, std::pair{&identity.authprovider, 3}})
            if (const std::string* v = (*who)[static_cast<std::size_t>(i)].if_string()) *field = *v;
        std::lock_guard cookies(cookies_mutex_);
        cookies_.insert_or_assign(
            *cookie, CookieEntry{std::move(identity), std::chrono::steady_clock::now() +
                                                          std::chrono::seconds(*seconds)});
        return;
    }
    auto id = id_at(c, 1);
    if (!id) return;
    auto it = remote_members_.find(*id);
    if (it == remote_members_.end() || it->second.session->node != node.index) return;
    RemoteMember& m = it->second;
    Session& proxy = *m.session;
    if (*kind == change::leave) return remote_leave_locked(*id, true);
    if (*kind == change::identity) {
        if (const std::string* authid = string_at(c, 2)) proxy.authid = *authid;
        if (const std::string* authrole = string_at(c, 3)) {
            proxy.authrole = *authrole;
            proxy.role = find_role(proxy.authrole);
        }
        if (c.size() > 4 && c[4].is_object()) proxy.modified_details = c[4].as_object();
        return;
    }
    if (*kind == change::testament) {
        auto scope = c.size() > 2 ? c[2].to_uint() : std::nullopt;
        if (!scope || *scope > 1) return;
        const Array* e = c.size() > 3 ? c[3].if_array() : nullptr;
        if (!e) {
            proxy.testaments[*scope].clear();
            return;
        }
        if (e->size() == 4 && (*e)[0].is_string())
            proxy.testaments[*scope].push_back(
                {(*e)[0].as_string(),
                 wamp::Payload((*e)[1].is_array() ? (*e)[1].as_array() : Array{},
                               (*e)[2].is_object() ? (*e)[2].as_object() : Object{}),
                 (*e)[3].is_object() ? (*e)[3].as_object() : Object{}});
        return;
    }
    const std::string* match_name = string_at(c, 2);
    const std::string* uri = string_at(c, 3);
    auto match = match_name ? wamp::parse_match_policy(*match_name) : std::nullopt;
    if (!match || !uri) return;
    const auto entry = std::make_pair(*match, *uri);
    if (*kind == change::subscribe) {
        if (!m.subscriptions.insert(entry).second) return;
        broker_.add_remote(proxy, *match, *uri, string_at(c, 4) ? *string_at(c, 4) : "");
    } else if (*kind == change::unsubscribe) {
        if (!m.subscriptions.erase(entry)) return;
        broker_.remove_remote(proxy, *match, *uri);
    } else if (*kind == change::register_) {
        const std::string* invoke = string_at(c, 4);
        const Array* flags = c.size() > 5 ? c[5].if_array() : nullptr;
        if (!invoke || !flags || !m.registrations.insert(entry).second) return;
        dealer_.add_remote(proxy, *match, *uri,
                           Dealer::RemoteCallee{*invoke, bool_at(*flags, 0), bool_at(*flags, 1),
                                                string_at(c, 6) ? *string_at(c, 6) : "",
                                                string_at(c, 7) ? *string_at(c, 7) : ""});
    } else if (*kind == change::unregister) {
        if (!m.registrations.erase(entry)) return;
        dealer_.remove_remote(proxy, *match, *uri);
    }
}

void Realm::cluster_replace(const NodeRef& node, const Array& state) {
    std::lock_guard lock(mutex_);
    // What the snapshot holds, per session; everything else of that node goes.
    std::map<wamp::Id, std::pair<std::set<std::pair<wamp::MatchPolicy, std::string>>,
                                 std::set<std::pair<wamp::MatchPolicy, std::string>>>>
        wanted;
    for (const Value& v : state) {
        const Array* c = v.if_array();
        const std::string* kind = c ? string_at(*c, 0) : nullptr;
        auto id = c ? id_at(*c, 1) : std::nullopt;
        if (!kind || !id) continue;
        if (*kind == change::join) wanted[*id];
        const std::string* match_name = string_at(*c, 2);
        auto match = match_name ? wamp::parse_match_policy(*match_name) : std::nullopt;
        const std::string* uri = string_at(*c, 3);
        if (!match || !uri) continue;
        if (*kind == change::subscribe) wanted[*id].first.emplace(*match, *uri);
        if (*kind == change::register_) wanted[*id].second.emplace(*match, *uri);
    }
    std::vector<wamp::Id> gone;
    for (const auto& [id, m] : remote_members_)
        if (m.session->node == node.index && !wanted.contains(id)) gone.push_back(id);
    for (wamp::Id id : gone)
        remote_leave_locked(id, true);
    for (auto& [id, w] : wanted) {
        auto it = remote_members_.find(id);
        if (it == remote_members_.end() || it->second.session->node != node.index) continue;
        RemoteMember& m = it->second;
        for (auto s = m.subscriptions.begin(); s != m.subscriptions.end();)
            if (!w.first.contains(*s)) {
                broker_.remove_remote(*m.session, s->first, s->second);
                s = m.subscriptions.erase(s);
            } else {
                ++s;
            }
        for (auto r = m.registrations.begin(); r != m.registrations.end();)
            if (!w.second.contains(*r)) {
                dealer_.remove_remote(*m.session, r->first, r->second);
                r = m.registrations.erase(r);
            } else {
                ++r;
            }
    }
    // The joins first (the rest refers to them), then the rest, in order.
    for (const Value& v : state)
        if (const Array* c = v.if_array();
            c && string_at(*c, 0) && *string_at(*c, 0) == change::join)
            apply_change_locked(node, *c);
    for (const Value& v : state)
        if (const Array* c = v.if_array();
            c && string_at(*c, 0) && *string_at(*c, 0) != change::join)
            apply_change_locked(node, *c);
}

void Realm::cluster_node_gone(const NodeRef& node, bool elected) {
    std::string dead;
    {
        std::lock_guard lock(mutex_);
        std::vector<wamp::Id> gone;
        for (const auto& [id, m] : remote_members_)
            if (m.session->node == node.index) gone.push_back(id);
        for (wamp::Id id : gone) {
            // Its transport is lost as far as the cluster can tell: "detached"
            // then "destroyed" testaments, published by one node only.
            if (elected) {
                Session& proxy = *remote_members_.at(id).session;
                publish_testaments(proxy, 0);
                publish_testaments(proxy, 1);
            }
            remote_leave_locked(id, true);
        }
        dealer_.forget_origin(node.index);
        if (elected) dead = node.name;
    }
    if (dead.empty() || !node_) return;
    // Its claims in the shared store go too (one node does it).
    std::weak_ptr<Realm> weak = weak_from_this();
    node_->bus().kv_list(
        store_bucket(), [weak, dead](nexus::cluster::KvResult::Status status,
                                     std::vector<std::pair<std::string, std::string>> entries) {
            auto self = weak.lock();
            if (!self || status != nexus::cluster::KvResult::Status::ok) return;
            const std::string mine = store_key(self->config_.uri, "");
            boost::asio::post(self->strand_, [self, dead, mine, entries = std::move(entries)] {
                std::lock_guard lock(self->mutex_);
                for (const auto& [key, value] : entries) {
                    // Keys of this realm only (they start with its prefix).
                    if (!key.starts_with(mine)) continue;
                    auto entry = read_entry(value);
                    if (!entry || std::find(entry->nodes.begin(), entry->nodes.end(), dead) ==
                                      entry->nodes.end())
                        continue;
                    auto& ops = self->store_ops_[key];
                    const bool idle = ops.empty();
                    ops.push_back(StoreOp{false, false, {}, dead});
                    if (idle) self->store_next(key);
                }
            });
        });
}

// --- what other nodes send --------------------------------------------------------------------

void Realm::cluster_message(const NodeRef& node, cluster::Envelope&& envelope) {
    std::lock_guard lock(mutex_);
    cluster_message_locked(node, envelope);
}

void Realm::apply_modification_locked(Session& target, const Object& delta) {
    for (const auto& [key, value] : delta) {
        if (key == "authid" && value.is_string())
            target.authid = value.as_string();
        else if (key == "authrole" && value.is_string())
            change_authrole_locked(target, value.as_string());
        else if (value.is_null())
            target.modified_details.erase(key); // null removes a detail
        else
            target.modified_details.insert_or_assign(key, value);
    }
    if (port_ && target.node == 0)
        port_->announce(Array{Value(std::string(change::identity)), Value(target.id),
                              Value(target.authid), Value(target.authrole),
                              Value(target.modified_details)});
}

void Realm::cluster_message_locked(const NodeRef& node, cluster::Envelope& e) {
    using cluster::Kind;
    const Array& h = e.head;
    switch (e.kind) {
    case Kind::event: {
        const std::string* topic = string_at(h, 0);
        auto* event = e.message ? std::get_if<wamp::Event>(&*e.message) : nullptr;
        if (topic && event && h.size() > 1 && h[1].is_object())
            broker_.deliver_remote(*topic, std::move(*event), h[1].as_object());
        return;
    }
    case Kind::invocation:
    case Kind::interrupt: {
        auto id = id_at(h, 0);
        auto it = id ? members_.find(*id) : members_.end();
        if (it == members_.end() || !e.message) return; // it left: its node hears of that
        Session& callee = *it->second.session;
        if (auto* inv = std::get_if<wamp::Invocation>(&*e.message))
            dealer_.relay_invocation(node.index, callee, std::move(*inv));
        else if (auto* interrupt = std::get_if<wamp::Interrupt>(&*e.message))
            dealer_.relay_interrupt(node.index, callee, std::move(*interrupt));
        return;
    }
    case Kind::answer: {
        auto id = id_at(h, 0);
        auto it = id ? remote_members_.find(*id) : remote_members_.end();
        if (it == remote_members_.end() || it->second.session->node != node.index || !e.message)
            return;
        Session& proxy = *it->second.session;
        wamp::Status status;
        if (auto* y = std::get_if<wamp::Yield>(&*e.message))
            status = dealer_.yield(proxy, std::move(*y));
        else if (auto* err = std::get_if<wamp::Error>(&*e.message))
            status = dealer_.invocation_error(proxy, std::move(*err));
        if (!status && logger_)
            logger_(RouterLogLevel::warning,
                    "realm " + config_.uri + ": node " + node.name +
                        " relayed an answer that breaks the protocol: " + status.error().message);
        return;
    }
    case Kind::probe: {
        // Pairs of an invocation node `node` sent here that no longer is here.
        if (h.empty() || !h[0].is_array() || !port_) return;
        Array lost;
        for (const Value& v : h[0].as_array()) {
            const Array* pair = v.if_array();
            auto callee = pair ? id_at(*pair, 0) : std::nullopt;
            auto request = pair ? id_at(*pair, 1) : std::nullopt;
            if (!callee || !request) continue;
            auto it = members_.find(*callee);
            if (it == members_.end() ||
                !dealer_.relaying(node.index, *it->second.session, *request))
                lost.push_back(v);
        }
        if (!lost.empty()) port_->lost(node.index, std::move(lost));
        return;
    }
    case Kind::lost: {
        if (h.empty() || !h[0].is_array() || !port_) return;
        const std::string between = "node " + port_->node_name() + " and node " + node.name;
        for (const Value& v : h[0].as_array()) {
            const Array* pair = v.if_array();
            auto callee = pair ? id_at(*pair, 0) : std::nullopt;
            auto request = pair ? id_at(*pair, 1) : std::nullopt;
            auto it = callee ? remote_members_.find(*callee) : remote_members_.end();
            if (!request || it == remote_members_.end() || it->second.session->node != node.index)
                continue;
            dealer_.invocation_lost(*it->second.session, *request, between);
        }
        return;
    }
    case Kind::kill: {
        auto id = id_at(h, 0);
        const std::string* reason = string_at(h, 1);
        const std::string* message = string_at(h, 2);
        if (id && reason && members_.contains(*id))
            kill_locked({*id}, *reason, message ? *message : "",
                        bool_at(h, 3) ? KillNotice::silent : KillNotice::announced);
        return;
    }
    case Kind::modify: {
        auto id = id_at(h, 0);
        auto it = id ? members_.find(*id) : members_.end();
        if (it == members_.end() || h.size() < 2 || !h[1].is_object()) return;
        apply_modification_locked(*it->second.session, h[1].as_object());
        return;
    }
    case Kind::revoke: {
        const std::string* kind = string_at(h, 0);
        auto id = id_at(h, 1);
        auto session = id_at(h, 2);
        const std::string* reason = string_at(h, 3);
        if (!kind || !id || !session || !members_.contains(*session)) return;
        if (*kind == "registration")
            (void)dealer_.revoke(*id, session, reason ? *reason : "");
        else
            (void)broker_.revoke(*id, session, reason ? *reason : "");
        return;
    }
    default: return;
    }
}

// --- the shared store: one registration per (match, uri) cluster-wide ---------------------

std::string Realm::store_bucket() const { return node_->config().prefix + "-registrations"; }

// Keys may only hold [-/_=.a-zA-Z0-9]: the realm and the match:uri key in hex.
std::string Realm::store_key(std::string_view realm, std::string_view key) {
    static const char digits[] = "0123456789abcdef";
    std::string out;
    const auto hex = [&](std::string_view s) {
        for (unsigned char c : s) {
            out.push_back(digits[c >> 4]);
            out.push_back(digits[c & 15]);
        }
    };
    hex(realm);
    out += '.';
    hex(key);
    return out;
}

void Realm::claim(const std::string& key, std::string_view invoke) {
    auto& ops = store_ops_[key];
    // One claim in flight per key answers every REGISTER waiting on it.
    for (const StoreOp& op : ops)
        if (op.claim) return;
    const bool idle = ops.empty();
    ops.push_back(StoreOp{true, false, std::string(invoke), node_->name()});
    if (idle) store_next(key);
}

void Realm::release(const std::string& key) {
    auto& ops = store_ops_[key];
    const bool idle = ops.empty();
    ops.push_back(StoreOp{false, false, {}, node_->name()});
    if (idle) store_next(key);
}

void Realm::cluster_reconnected() {
    std::lock_guard lock(mutex_);
    // The store may have lost what it held (a fresh NATS server), or taken a
    // claim of another node meanwhile: this node's claims are asserted again.
    for (auto& [key, invoke] : dealer_.claims()) {
        auto& ops = store_ops_[key];
        const bool idle = ops.empty();
        ops.push_back(StoreOp{true, true, invoke, node_->name()});
        if (idle) store_next(key);
    }
}

void Realm::cluster_probe(std::chrono::steady_clock::time_point sent_before) {
    std::lock_guard lock(mutex_);
    if (!port_) return;
    for (auto& [node, invocations] : dealer_.remote_invocations(sent_before))
        port_->probe(node, std::move(invocations));
}

void Realm::store_next(const std::string& key) {
    auto it = store_ops_.find(key);
    if (it == store_ops_.end() || it->second.empty()) return;
    const StoreOp op = it->second.front();
    if (op.claim)
        store_claim(key, op.invoke, op.reassert);
    else
        store_release(key, op.node);
}

void Realm::store_claim(const std::string& key, const std::string& invoke, bool reassert) {
    const auto bus = node_->config().bus;
    const std::string store = store_key(config_.uri, key);
    const std::string me = node_->name();
    std::weak_ptr<Realm> weak = weak_from_this();
    // Back on the realm's strand, under its lock, when an attempt ends.
    const auto settle = [weak, key, reassert](std::optional<UriError> refusal) {
        if (auto self = weak.lock())
            boost::asio::post(self->strand_, [self, key, reassert, refusal] {
                self->claim_settled(key, refusal, reassert);
            });
    };
    const auto retry = [weak, key] {
        if (auto self = weak.lock())
            boost::asio::post(self->strand_, [self, key] {
                std::lock_guard lock(self->mutex_);
                self->store_next(key);
            });
    };
    // Only a node that has heard the cluster long enough may count an absent
    // node's claim as left behind (at startup it has not heard anyone yet).
    const bool settled = node_->settled();
    std::vector<std::string> live{me};
    for (const cluster::NodeRef& p : node_->peers())
        live.push_back(p.name);
    bus->kv_get(store_bucket(), store, [=, bucket = store_bucket()](nexus::cluster::KvResult r) {
        using S = nexus::cluster::KvResult::Status;
        if (r.status == S::not_found) {
            bus->kv_create(bucket, store, write_entry({invoke, {me}}),
                           [=](nexus::cluster::KvResult c) {
                               if (c.status == S::ok) return settle(std::nullopt);
                               if (c.status == S::exists) return retry();
                               settle(unreachable(c.error));
                           });
            return;
        }
        if (r.status != S::ok) return settle(unreachable(r.error));
        auto entry = read_entry(r.value);
        if (!entry) entry = StoreEntry{invoke, {}};
        // Nodes that are gone leave their claims behind until cleaned up.
        if (settled)
            std::erase_if(entry->nodes, [&](const std::string& n) {
                return std::find(live.begin(), live.end(), n) == live.end();
            });
        if (std::find(entry->nodes.begin(), entry->nodes.end(), me) != entry->nodes.end())
            return settle(std::nullopt);
        if (!entry->nodes.empty() && (entry->invoke == "single" || entry->invoke != invoke))
            return settle(UriError{wamp::errors::procedure_already_exists,
                                   "the procedure is registered on another node of the cluster" +
                                       (entry->invoke != "single" && entry->invoke != invoke
                                            ? " with invoke=" + entry->invoke
                                            : std::string())});
        entry->invoke = invoke;
        entry->nodes.push_back(me);
        bus->kv_update(bucket, store, write_entry(*entry), r.revision,
                       [=](nexus::cluster::KvResult u) {
                           if (u.status == S::ok) return settle(std::nullopt);
                           if (u.status == S::conflict || u.status == S::not_found) return retry();
                           settle(unreachable(u.error));
                       });
    });
}

void Realm::store_release(const std::string& key, const std::string& node) {
    const auto bus = node_->config().bus;
    const std::string store = store_key(config_.uri, key);
    std::weak_ptr<Realm> weak = weak_from_this();
    const auto done = [weak, key](bool again) {
        if (auto self = weak.lock())
            boost::asio::post(self->strand_, [self, key, again] {
                std::lock_guard lock(self->mutex_);
                auto it = self->store_ops_.find(key);
                if (it == self->store_ops_.end()) return;
                if (!again) it->second.pop_front();
                if (it->second.empty())
                    self->store_ops_.erase(it);
                else
                    self->store_next(key);
            });
    };
    bus->kv_get(store_bucket(), store, [=, bucket = store_bucket()](nexus::cluster::KvResult r) {
        using S = nexus::cluster::KvResult::Status;
        if (r.status != S::ok) return done(false); // nothing there (or unreachable: left behind)
        auto entry = read_entry(r.value);
        if (!entry) return done(false);
        std::erase(entry->nodes, node);
        const auto next = [=](nexus::cluster::KvResult w) { done(w.status == S::conflict); };
        if (entry->nodes.empty())
            bus->kv_erase(bucket, store, r.revision, next);
        else
            bus->kv_update(bucket, store, write_entry(*entry), r.revision, next);
    });
}

void Realm::claim_settled(const std::string& key, std::optional<UriError> refusal, bool reassert) {
    std::vector<std::pair<std::shared_ptr<ConnectionImpl>, std::string>> violators;
    {
        std::lock_guard lock(mutex_);
        if (auto it = store_ops_.find(key); it != store_ops_.end()) {
            if (!it->second.empty()) it->second.pop_front();
            if (it->second.empty())
                store_ops_.erase(it);
            else
                store_next(key);
        }
        if (reassert) {
            if (refusal && refusal->uri == wamp::errors::cluster_unavailable) {
                // Kept as it is; asserted again on the next reconnect.
                if (logger_)
                    logger_(RouterLogLevel::warning,
                            "realm " + config_.uri + ": registration " + key +
                                " not asserted again: " + refusal->message);
                return;
            }
            // Another node holds it now (taken while the bus was down): this
            // node's registration gives way, so that none exists twice.
            if (refusal) {
                const auto colon = key.find(':');
                auto match = wamp::parse_match_policy(std::string_view(key).substr(0, colon));
                if (match)
                    if (auto id = dealer_.lookup(std::string_view(key).substr(colon + 1), *match))
                        (void)dealer_.revoke(*id, std::nullopt,
                                             "registered on another node of the cluster while "
                                             "this one was cut off");
                if (logger_)
                    logger_(RouterLogLevel::warning, "realm " + config_.uri + ": registration " +
                                                         key + " revoked: " + refusal->message);
            }
            return;
        }
        dealer_.claim_result(key, refusal);
        auto waiting = waiting_on_claim_.extract(key);
        if (waiting.empty()) return;
        for (const std::weak_ptr<Session>& weak : waiting.mapped()) {
            auto session = weak.lock();
            if (!session || !members_.contains(session->id)) continue;
            session->waiting = false;
            std::string violation;
            if (auto conn = resume_locked(session, violation))
                violators.emplace_back(std::move(conn), std::move(violation));
        }
    }
    // Ending a session takes the realm lock again.
    for (auto& [conn, why] : violators)
        conn->fail(std::move(why));
}

} // namespace nexus::router
