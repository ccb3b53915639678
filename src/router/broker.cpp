#include "router/broker.hpp"

#include <algorithm>
#include <deque>
#include <map>
#include <unordered_map>

#include <nexus/wamp/uris.hpp>

#include "router/cluster/port.hpp"
#include "router/error_reply.hpp"
#include "router/metrics.hpp"
#include "router/nesting.hpp"
#include "router/payload_passthru.hpp"
#include "router/sharding.hpp"
#include "router/string_map.hpp"
#include "router/timestamp.hpp"
#include "router/uri_index.hpp"

namespace nexus::router {

namespace {

using wamp::MatchPolicy;
using wamp::Object;
using wamp::Value;

// PUBLISH.Options that decide who receives an event (CHECKLIST §9.1, §9.2).
struct Audience {
    bool exclude_me = true;
    std::vector<wamp::Id> exclude, eligible;
    std::vector<std::string> exclude_authid, eligible_authid, exclude_authrole, eligible_authrole;
    bool has_eligible = false, has_eligible_authid = false, has_eligible_authrole = false;
    // The Go nexus's extension: exclude_<detail> / eligible_<detail> for any
    // string session detail (Session::detail).
    struct DetailFilter {
        std::string key;
        bool eligible = false;
        std::vector<std::string> values;
    };
    std::vector<DetailFilter> by_detail;
    wamp::Id publisher = 0;
    // PUBLISH.Options.rkey: among the subscribers of a subscription that
    // gave node keys, only those of the node it hashes to receive the event.
    std::string rkey;

    bool by_session_lists() const { return !exclude.empty() || has_eligible; }

    bool admits(const Session& s) const {
        if (exclude_me && s.id == publisher) return false;
        const auto in = [](const auto& list, const auto& x) {
            return std::find(list.begin(), list.end(), x) != list.end();
        };
        if (has_eligible && !in(eligible, s.id)) return false;
        if (in(exclude, s.id)) return false;
        if (has_eligible_authid && !in(eligible_authid, s.authid)) return false;
        if (in(exclude_authid, s.authid)) return false;
        if (has_eligible_authrole && !in(eligible_authrole, s.authrole)) return false;
        if (in(exclude_authrole, s.authrole)) return false;
        for (const DetailFilter& f : by_detail) {
            const std::string* value = s.detail(f.key);
            const bool listed = value && in(f.values, *value);
            if (f.eligible != listed) return false;
        }
        return true;
    }
};

struct Subscription {
    wamp::Id id = 0;
    std::string uri; // the topic, or the pattern
    MatchPolicy match = MatchPolicy::exact;
    std::int64_t created_ms = 0;
    std::vector<Session*> subscribers; // in subscription order
    // SUBSCRIBE.Options.nkey of the subscribers that gave one (sharded
    // subscriptions, router/sharding.hpp); empty for most subscriptions.
    std::unordered_map<const Session*, std::string> nkeys;
};

// An event kept for later subscribers (retention) or queries (history).
struct StoredEvent {
    std::int64_t timestamp_ms = 0;
    wamp::Id publication = 0;
    std::string topic;
    Object details; // publisher disclosure and ppt_* as delivered
    wamp::Payload payload;
    Audience audience;
};

struct HistoryStore {
    std::string topic;
    MatchPolicy match;
    std::size_t limit;
    std::deque<StoredEvent> events;
};

std::string history_key(std::string_view topic, MatchPolicy match) {
    std::string key(wamp::match_policy_name(match));
    key += ':';
    key += topic;
    return key;
}

bool read_bool(const Object& o, std::string_view key, bool fallback, bool& ok) {
    auto it = o.find(key);
    if (it == o.end()) return fallback;
    if (const bool* b = it->second.if_bool()) return *b;
    ok = false;
    return fallback;
}

template <class T>
bool read_list(const Object& o, std::string_view key, std::vector<T>& out, bool& present) {
    auto it = o.find(key);
    if (it == o.end()) return true;
    present = true;
    const wamp::Array* a = it->second.if_array();
    if (!a) return false;
    out.reserve(a->size());
    for (const Value& v : *a) {
        if constexpr (std::is_same_v<T, std::string>) {
            const std::string* s = v.if_string();
            if (!s) return false;
            out.push_back(*s);
        } else {
            auto u = v.to_uint();
            if (!u) return false;
            out.push_back(*u);
        }
    }
    return true;
}

// The PUBLISH options that select receivers (exclude/eligible lists, rkey).
bool read_audience(const Object& o, Audience& audience) {
    bool unused = false;
    bool ok =
        read_list(o, "exclude", audience.exclude, unused) &&
        read_list(o, "eligible", audience.eligible, audience.has_eligible) &&
        read_list(o, "exclude_authid", audience.exclude_authid, unused) &&
        read_list(o, "eligible_authid", audience.eligible_authid, audience.has_eligible_authid) &&
        read_list(o, "exclude_authrole", audience.exclude_authrole, unused) &&
        read_list(o, "eligible_authrole", audience.eligible_authrole,
                  audience.has_eligible_authrole);
    if (auto it = o.find("rkey"); ok && it != o.end() && !it->second.is_null()) {
        const std::string* rkey = it->second.if_string();
        if (!rkey || rkey->empty()) return false;
        audience.rkey = *rkey;
    }
    for (const auto& entry : o) {
        const std::string& key = entry.first;
        const bool eligible = key.starts_with("eligible_");
        if (!ok || (!eligible && !key.starts_with("exclude_")) || key == "exclude_me" ||
            key.ends_with("_authid") || key.ends_with("_authrole"))
            continue;
        Audience::DetailFilter f{key.substr(eligible ? 9 : 8), eligible, {}};
        bool present = false;
        ok = read_list(o, key, f.values, present);
        audience.by_detail.push_back(std::move(f));
    }
    return ok;
}

} // namespace

class BrokerImpl {
public:
    explicit BrokerImpl(RealmContext& realm) : realm_(realm) {
        for (const EventHistoryConfig& h : realm.config().event_history)
            histories_.emplace(history_key(h.topic, h.match),
                               HistoryStore{h.topic, h.match, h.limit, {}});
    }

    wamp::UriRule rule() const {
        return realm_.config().strict_uri ? wamp::UriRule::strict : wamp::UriRule::loose;
    }

    bool valid_pattern(std::string_view topic, MatchPolicy match) const {
        return router::valid_pattern(topic, match, rule());
    }

    wamp::Status subscribe(Session& session, wamp::Subscribe&& m) {
        MatchPolicy match = MatchPolicy::exact;
        // A null match is an unset one: JavaScript clients send an undefined option as CBOR's
        // undefined or msgpackr's, which the decoders read as null (JSON just leaves it out).
        if (auto it = m.options.find("match"); it != m.options.end() && !it->second.is_null()) {
            const std::string* name = it->second.if_string();
            auto parsed = name ? wamp::parse_match_policy(*name) : std::nullopt;
            if (!parsed) {
                send_error(session, wamp::MessageType::subscribe, m.request,
                           wamp::errors::invalid_argument,
                           "match must be \"exact\", \"prefix\" or \"wildcard\"");
                return {};
            }
            match = *parsed;
        }
        if (!valid_pattern(m.topic, match)) {
            send_error(session, wamp::MessageType::subscribe, m.request, wamp::errors::invalid_uri,
                       "invalid topic \"" + m.topic + "\"");
            return {};
        }
        bool ok = true;
        const bool get_retained = read_bool(m.options, "get_retained", false, ok);
        std::string nkey;
        if (auto it = m.options.find("nkey"); it != m.options.end() && !it->second.is_null()) {
            const std::string* s = it->second.if_string();
            if (!s || s->empty()) {
                send_error(session, wamp::MessageType::subscribe, m.request,
                           wamp::errors::invalid_argument, "nkey must be a string");
                return {};
            }
            nkey = *s;
        }

        if (const std::size_t max = realm_.config().max_subscriptions_per_session; max != 0) {
            auto mine = by_session_.find(&session);
            if (mine != by_session_.end() && mine->second.size() >= max) {
                send_error(session, wamp::MessageType::subscribe, m.request,
                           wamp::errors::limit_exceeded,
                           "this session already has " + std::to_string(max) +
                               " subscriptions (max_subscriptions_per_session)");
                return {};
            }
        }
        Subscription* sub = find(m.topic, match);
        const bool created = !sub;
        if (!sub) sub = create(std::move(m.topic), match);
        auto& members = sub->subscribers;
        const bool added = std::find(members.begin(), members.end(), &session) == members.end();
        if (added) {
            members.push_back(&session);
            by_session_[&session].push_back(sub);
            announce(cluster::change::subscribe, session, *sub, nkey);
            if (!nkey.empty()) sub->nkeys.emplace(&session, std::move(nkey));
        }
        session.send(wamp::Subscribed{m.request, sub->id});
        if (get_retained) send_retained(session, *sub);
        meta_subscribed(session.id, sub->id, created, added);
        return {};
    }

    /// wamp.subscription.on_create (when `created`), then on_subscribe (when `added`).
    void meta_subscribed(wamp::Id subscriber, wamp::Id subscription, bool created, bool added) {
        if (created)
            realm_.publish_meta(
                "wamp.subscription.on_create",
                [&] {
                    auto info = *get(subscription);
                    return wamp::Array{Value(subscriber),
                                       Value{{"id", info.id},
                                             {"created", info.created},
                                             {"uri", info.uri},
                                             {"match", wamp::match_policy_name(info.match)}}};
                },
                subscriber);
        if (added) meta_membership("wamp.subscription.on_subscribe", subscriber, subscription);
    }

    wamp::Status unsubscribe(Session& session, const wamp::Unsubscribe& m) {
        auto it = by_id_.find(m.subscription);
        if (it == by_id_.end() || !remove_member(*it->second, session)) {
            send_error(session, wamp::MessageType::unsubscribe, m.request,
                       wamp::errors::no_such_subscription,
                       "no subscription " + std::to_string(m.subscription) + " of this session");
            return {};
        }
        auto& mine = by_session_[&session];
        mine.erase(std::remove(mine.begin(), mine.end(), it->second.get()), mine.end());
        if (mine.empty()) by_session_.erase(&session);
        announce(cluster::change::unsubscribe, session, *it->second);
        const wamp::Id id = m.subscription;
        const bool deleted = it->second->subscribers.empty();
        if (deleted) destroy(it->second.get());
        session.send(wamp::Unsubscribed{m.request, std::nullopt});
        meta_membership("wamp.subscription.on_unsubscribe", session.id, id);
        if (deleted) meta_membership("wamp.subscription.on_delete", session.id, id);
        return {};
    }

    wamp::Status publish(Session& publisher, wamp::Publish&& m, bool force_disclose) {
        const Object& o = m.options;
        bool ok = true;
        const bool acknowledge = read_bool(o, "acknowledge", false, ok);
        const auto refuse = [&](std::string_view uri, std::string message) {
            if (acknowledge)
                send_error(publisher, wamp::MessageType::publish, m.request, uri,
                           std::move(message));
            return wamp::Status{};
        };

        if (has_ppt(o) && !publisher.features.publisher_payload_passthru)
            return wamp::Failure{"PUBLISH with ppt_* options from a publisher that did not "
                                 "announce payload_passthru_mode"};

        if (!wamp::is_valid_uri(m.topic, rule()))
            return refuse(wamp::errors::invalid_uri, "invalid topic \"" + m.topic + "\"");
        if (wamp::is_reserved_uri(m.topic))
            return refuse(wamp::errors::invalid_uri,
                          "topics starting with \"wamp.\" are reserved for the router");

        Audience audience;
        audience.publisher = publisher.id;
        audience.exclude_me = read_bool(o, "exclude_me", true, ok);
        const bool disclose = read_bool(o, "disclose_me", false, ok);
        const bool retain = read_bool(o, "retain", false, ok);
        if (!ok || !read_audience(o, audience))
            return refuse(wamp::errors::invalid_argument,
                          "malformed PUBLISH options (acknowledge, exclude_me, disclose_me and "
                          "retain are booleans; exclude/eligible are lists of session ids; "
                          "*_authid/*_authrole and other exclude_<detail>/eligible_<detail> are "
                          "lists of strings; rkey is a string)");
        if (disclose && !force_disclose && !realm_.may_request_disclosure(publisher))
            return refuse(wamp::errors::option_disallowed_disclose_me,
                          "this realm does not allow publisher disclosure (allow_disclose)");

        Object details;
        if (disclose || force_disclose) {
            details.emplace("publisher", publisher.id);
            details.emplace("publisher_authid", publisher.authid);
            details.emplace("publisher_authrole", publisher.authrole);
        }
        if (auto level = realm_.trustlevel(publisher)) details.emplace("trustlevel", *level);
        copy_ppt(o, details);

        const wamp::Id publication = realm_.new_id();
        realm_.metrics().event_published();
        std::vector<std::uint32_t> nodes =
            deliver(m.topic, publication, details, m.payload, audience);

        const bool record = !audience.by_session_lists() && in_history(m.topic);
        if (record || retain) {
            StoredEvent stored{now_ms(), publication, m.topic, details, m.payload, audience};
            if (record) remember(stored);
            if (retain) retained_.insert_or_assign(m.topic, std::move(stored));
        }
        if (cluster::Port* cluster = realm_.cluster()) {
            // Every node keeps retained events and history: those go to all.
            if (record || retain) nodes = cluster->all_nodes();
            if (!nodes.empty()) forward(*cluster, nodes, m, publication, details, record, retain);
        }
        if (acknowledge) publisher.send(wamp::Published{m.request, publication});
        return {};
    }

    // To the nodes that hold matching subscriptions: the event once per node,
    // with the options each node selects its own subscribers by.
    void forward(cluster::Port& cluster, const std::vector<std::uint32_t>& nodes,
                 const wamp::Publish& m, wamp::Id publication, const Object& details, bool record,
                 bool retain) {
        Object options;
        for (const auto& [key, value] : m.options)
            if (key != "acknowledge" && key != "exclude_me" && key != "disclose_me" &&
                key != "retain")
                options.emplace(key, value);
        if (record) options.emplace("nexus_history", true);
        if (retain) options.emplace("retain", true);
        cluster.forward_event(nodes, m.topic, wamp::Event{1, publication, details, m.payload},
                              std::move(options));
    }

public:
    // An event another node forwarded: to this node's subscribers only.
    void deliver_remote(const std::string& topic, wamp::Event&& e, const Object& options) {
        Audience audience;
        audience.exclude_me = false;
        if (!read_audience(options, audience)) return;
        deliver(topic, e.publication, e.details, e.payload, audience);
        bool ok = true;
        const bool record = read_bool(options, "nexus_history", false, ok);
        const bool retain = read_bool(options, "retain", false, ok);
        if (record || retain) {
            StoredEvent stored{now_ms(), e.publication, topic, e.details, e.payload, audience};
            if (record) remember(stored);
            if (retain) retained_.insert_or_assign(topic, std::move(stored));
        }
    }

    // A subscriber on another node (its proxy): as subscribe(), without answer.
    void add_remote(Session& proxy, MatchPolicy match, std::string uri, std::string nkey) {
        Subscription* sub = find(uri, match);
        const bool created = !sub;
        if (!sub) sub = create(std::move(uri), match);
        auto& members = sub->subscribers;
        if (std::find(members.begin(), members.end(), &proxy) != members.end()) return;
        members.push_back(&proxy);
        by_session_[&proxy].push_back(sub);
        if (!nkey.empty()) sub->nkeys.emplace(&proxy, std::move(nkey));
        meta_subscribed(proxy.id, sub->id, created, true);
    }

    void remove_remote(Session& proxy, MatchPolicy match, std::string_view uri) {
        Subscription* sub = find(uri, match);
        if (!sub || !remove_member(*sub, proxy)) return;
        auto& mine = by_session_[&proxy];
        mine.erase(std::remove(mine.begin(), mine.end(), sub), mine.end());
        if (mine.empty()) by_session_.erase(&proxy);
        const wamp::Id id = sub->id;
        const bool deleted = sub->subscribers.empty();
        if (deleted) destroy(sub);
        meta_membership("wamp.subscription.on_unsubscribe", proxy.id, id);
        if (deleted) meta_membership("wamp.subscription.on_delete", proxy.id, id);
    }

    // This node's subscriptions and retained events, for another node's snapshot.
    void snapshot(wamp::Array& out) const {
        for (const auto& [session, subs] : by_session_) {
            if (session->node != 0) continue;
            for (const Subscription* sub : subs) {
                auto it = sub->nkeys.find(session);
                out.emplace_back(announcement(cluster::change::subscribe, session->id, *sub,
                                              it == sub->nkeys.end() ? "" : it->second));
            }
        }
        for (const auto& [topic, stored] : retained_)
            out.emplace_back(wamp::Array{Value(std::string(cluster::change::retained)),
                                         Value(topic), stored_value(stored)});
    }

    void restore_retained(const std::string& topic, const Value& stored) {
        const Value* publication = stored.find("publication");
        const Value* details = stored.find("details");
        if (!publication || !publication->to_uint() || !details || !details->is_object()) return;
        const Value* args = stored.find("args");
        const Value* kwargs = stored.find("kwargs");
        StoredEvent e;
        e.timestamp_ms = now_ms();
        e.publication = *publication->to_uint();
        e.topic = topic;
        e.details = details->as_object();
        e.payload = wamp::Payload(args && args->is_array() ? args->as_array() : wamp::Array{},
                                  kwargs && kwargs->is_object() ? kwargs->as_object() : Object{});
        retained_.insert_or_assign(topic, std::move(e));
    }

private:
    static Value stored_value(const StoredEvent& e) {
        Object o{{"publication", e.publication}, {"details", e.details}};
        if (e.payload.has_args()) o.emplace("args", e.payload.args());
        if (e.payload.has_kwargs()) o.emplace("kwargs", e.payload.kwargs());
        return Value(std::move(o));
    }

    static wamp::Array announcement(std::string_view kind, wamp::Id session,
                                    const Subscription& sub, const std::string& nkey) {
        wamp::Array a{Value(std::string(kind)), Value(session),
                      Value(std::string(wamp::match_policy_name(sub.match))), Value(sub.uri)};
        if (kind == cluster::change::subscribe) a.emplace_back(nkey);
        return a;
    }

    void announce(std::string_view kind, const Session& session, const Subscription& sub,
                  const std::string& nkey = {}) {
        if (session.node != 0) return;
        if (cluster::Port* cluster = realm_.cluster())
            cluster->announce(announcement(kind, session.id, sub, nkey));
    }

    bool in_history(const std::string& topic) const {
        for (const auto& [key, store] : histories_)
            if (wamp::uri_matches(store.topic, store.match, topic)) return true;
        return false;
    }

public:
    void remove_session(Session& session) {
        auto it = by_session_.find(&session);
        if (it == by_session_.end()) return;
        std::vector<std::pair<wamp::Id, bool>> gone; // (subscription, deleted)
        for (Subscription* sub : it->second) {
            remove_member(*sub, session);
            // (no announcement: the session's leave tells the other nodes)
            gone.emplace_back(sub->id, sub->subscribers.empty());
            if (sub->subscribers.empty()) destroy(sub);
        }
        by_session_.erase(it);
        for (auto [id, deleted] : gone) {
            meta_membership("wamp.subscription.on_unsubscribe", session.id, id);
            if (deleted) meta_membership("wamp.subscription.on_delete", session.id, id);
        }
    }

    void publish_meta(std::string_view topic, const std::function<wamp::Array()>& args,
                      wamp::Id cause) {
        bool wanted = false;
        for_each_match(topic, [&](const Subscription& sub) {
            for (const Session* s : sub.subscribers)
                wanted = wanted || (s->id != cause && s->node == 0);
        });
        if (!wanted) return;
        Audience audience;
        audience.publisher = cause;
        audience.exclude_me = cause != 0;
        deliver(std::string(topic), realm_.new_id(), {}, wamp::Payload(args()), audience);
    }

    OrUriError<std::vector<wamp::Id>> revoke(wamp::Id id, std::optional<wamp::Id> only,
                                             const std::string& reason) {
        auto it = by_id_.find(id);
        if (it == by_id_.end())
            return UriError{wamp::errors::no_such_subscription,
                            "no subscription " + std::to_string(id)};
        Subscription& sub = *it->second;
        std::vector<Session*> removed;
        for (Session* s : sub.subscribers)
            if (!only || s->id == *only) removed.push_back(s);
        if (only && removed.empty())
            return UriError{wamp::errors::no_such_session, "session " + std::to_string(*only) +
                                                               " is not a subscriber of " +
                                                               std::to_string(id)};
        std::vector<wamp::Id> ids;
        for (Session* s : removed) {
            if (s->node != 0) {
                // Its own node revokes it (and tells everyone).
                realm_.cluster()->revoke(s->node, "subscription", id, s->id, reason);
                ids.push_back(s->id);
                continue;
            }
            remove_member(sub, *s);
            announce(cluster::change::unsubscribe, *s, sub);
            auto& mine = by_session_[s];
            mine.erase(std::remove(mine.begin(), mine.end(), &sub), mine.end());
            if (mine.empty()) by_session_.erase(s);
            // Only peers that announced the feature may be sent the revocation form.
            if (s->features.subscriber_subscription_revocation) {
                Object details{{"subscription", id}};
                if (!reason.empty()) details.emplace("reason", reason);
                s->send(wamp::Unsubscribed{0, std::move(details)});
            }
            ids.push_back(s->id);
        }
        const bool deleted = sub.subscribers.empty();
        const wamp::Id last = removed.back()->id;
        if (deleted) destroy(&sub);
        for (Session* s : removed)
            if (s->node == 0) meta_membership("wamp.subscription.on_unsubscribe", s->id, id);
        if (deleted) meta_membership("wamp.subscription.on_delete", last, id);
        return ids;
    }

    // --- meta queries -----------------------------------------------------

    std::size_t count() const { return by_id_.size(); }
    std::vector<wamp::Id> list(MatchPolicy match) const {
        std::vector<wamp::Id> ids;
        for (const auto& [id, sub] : by_id_)
            if (sub->match == match) ids.push_back(id);
        std::sort(ids.begin(), ids.end());
        return ids;
    }

    std::optional<wamp::Id> lookup(std::string_view topic, MatchPolicy match) const {
        if (const Subscription* s = find(topic, match)) return s->id;
        return std::nullopt;
    }

    std::vector<wamp::Id> match(std::string_view topic) const {
        std::vector<wamp::Id> ids;
        for_each_match(topic, [&](const Subscription& s) { ids.push_back(s.id); });
        return ids;
    }

    std::optional<Broker::SubscriptionInfo> get(wamp::Id id) const {
        auto it = by_id_.find(id);
        if (it == by_id_.end()) return std::nullopt;
        const Subscription& s = *it->second;
        return Broker::SubscriptionInfo{s.id, format_timestamp(s.created_ms), s.uri, s.match};
    }

    std::optional<std::vector<wamp::Id>> subscribers(wamp::Id id) const {
        auto it = by_id_.find(id);
        if (it == by_id_.end()) return std::nullopt;
        std::vector<wamp::Id> ids;
        for (const Session* s : it->second->subscribers)
            ids.push_back(s->id);
        return ids;
    }

    OrUriError<wamp::Array> get_events(wamp::Id id, const Object& filters,
                                       const Session& requester) const;

private:
    Subscription* find(std::string_view topic, MatchPolicy match) const {
        return index_.find(topic, match);
    }

    Subscription* create(std::string topic, MatchPolicy match) {
        auto owned = std::make_unique<Subscription>();
        Subscription* sub = owned.get();
        // In a cluster every node names a subscription alike (the meta API).
        sub->id = realm_.cluster()
                      ? cluster::shared_id(realm_.config().uri, "subscription", match, topic)
                      : ids_.next();
        sub->uri = std::move(topic);
        sub->match = match;
        sub->created_ms = now_ms();
        by_id_.emplace(sub->id, std::move(owned));
        index_.insert(sub->uri, match, sub);
        return sub;
    }

    void destroy(Subscription* sub) {
        index_.erase(sub->uri, sub->match);
        by_id_.erase(sub->id);
    }

    // on_subscribe, on_unsubscribe, on_delete: [session|id, subscription|id],
    // not to the session itself.
    void meta_membership(std::string_view topic, wamp::Id session, wamp::Id subscription) {
        realm_.publish_meta(
            topic,
            [&] {
                return wamp::Array{Value(session), Value(subscription)};
            },
            session);
    }

    static bool remove_member(Subscription& sub, Session& session) {
        auto& m = sub.subscribers;
        auto it = std::find(m.begin(), m.end(), &session);
        if (it == m.end()) return false;
        m.erase(it);
        sub.nkeys.erase(&session);
        return true;
    }

    // Every subscription an event to `topic` goes to.
    template <class F> void for_each_match(std::string_view topic, F&& f) const {
        index_.for_each_match(topic, f);
    }

    // One EVENT per subscription, built once and shared by its subscribers
    // here; answers the other nodes where matching subscribers are (they
    // select their own by the audience).
    std::vector<std::uint32_t> deliver(const std::string& topic, wamp::Id publication,
                                       const Object& details, const wamp::Payload& payload,
                                       const Audience& audience) {
        std::vector<std::uint32_t> nodes;
        for_each_match(topic, [&](const Subscription& sub) {
            OutgoingPtr event;
            const std::string* node = shard_for(sub, audience.rkey);
            for (Session* s : sub.subscribers) {
                if (node) {
                    auto it = sub.nkeys.find(s);
                    if (it != sub.nkeys.end() && it->second != *node) continue;
                }
                if (s->node != 0) {
                    if (std::find(nodes.begin(), nodes.end(), s->node) == nodes.end())
                        nodes.push_back(s->node);
                    continue;
                }
                if (!audience.admits(*s)) continue;
                if (!event) {
                    wamp::Event e{sub.id, publication, details, payload};
                    if (sub.match != MatchPolicy::exact) e.details.insert_or_assign("topic", topic);
                    event = std::make_shared<const Outgoing>(std::move(e));
                }
                s->send_event(event);
            }
        });
        return nodes;
    }

    // The node key an event with resource key `rkey` goes to among the
    // subscription's sharded subscribers; nullptr: no sharding applies.
    static const std::string* shard_for(const Subscription& sub, const std::string& rkey) {
        if (rkey.empty() || sub.nkeys.empty()) return nullptr;
        const std::string* winner = nullptr;
        for (const auto& [session, nkey] : sub.nkeys)
            if (!winner || shard_wins(rkey, nkey, *winner)) winner = &nkey;
        return winner;
    }

    void send_retained(Session& session, const Subscription& sub) {
        const auto send = [&](const StoredEvent& stored) {
            if (!stored.audience.admits(session)) return;
            wamp::Event e{sub.id, stored.publication, stored.details, stored.payload};
            e.details.insert_or_assign("retained", true);
            if (sub.match != MatchPolicy::exact) e.details.insert_or_assign("topic", stored.topic);
            session.send(std::move(e));
        };
        if (sub.match == MatchPolicy::exact) {
            if (auto it = retained_.find(sub.uri); it != retained_.end()) send(it->second);
            return;
        }
        for (const auto& [topic, stored] : retained_)
            if (wamp::uri_matches(sub.uri, sub.match, topic)) send(stored);
    }

    void remember(const StoredEvent& event) {
        for (auto& [key, store] : histories_) {
            if (!wamp::uri_matches(store.topic, store.match, event.topic)) continue;
            store.events.push_back(event);
            if (store.events.size() > store.limit) store.events.pop_front();
        }
    }

    RealmContext& realm_;
    wamp::RouterIdGenerator ids_;
    std::unordered_map<wamp::Id, std::unique_ptr<Subscription>> by_id_;
    UriIndex<Subscription> index_;
    std::unordered_map<Session*, std::vector<Subscription*>> by_session_;
    StringMap<StoredEvent> retained_;
    std::map<std::string, HistoryStore> histories_;
};

namespace {

// get_events filters (advanced/pubsub_event_history.md).
struct HistoryQuery {
    bool reverse = false;
    std::optional<std::size_t> limit;
    std::optional<std::int64_t> from_time, after_time, before_time, until_time;
    std::optional<wamp::Id> from_pub, after_pub, before_pub, until_pub;
    std::optional<std::string> topic;
};

OrUriError<HistoryQuery> parse_query(const Object& f) {
    HistoryQuery q;
    const auto bad = [](std::string_view key, std::string_view what) {
        return UriError{wamp::errors::invalid_argument,
                        std::string(key) + " must be " + std::string(what)};
    };
    for (const auto& [key, v] : f) {
        if (key == "reverse") {
            if (!v.is_bool()) return bad(key, "a boolean");
            q.reverse = v.as_bool();
        } else if (key == "limit") {
            auto n = v.to_uint();
            if (!n || *n == 0) return bad(key, "a positive integer");
            q.limit = static_cast<std::size_t>(*n);
        } else if (key == "from_time" || key == "after_time" || key == "before_time" ||
                   key == "until_time") {
            const std::string* s = v.if_string();
            auto t = s ? parse_timestamp(*s) : std::nullopt;
            if (!t) return bad(key, "an RFC 3339 timestamp");
            (key == "from_time"     ? q.from_time
             : key == "after_time"  ? q.after_time
             : key == "before_time" ? q.before_time
                                    : q.until_time) = *t;
        } else if (key == "from_publication" || key == "after_publication" ||
                   key == "before_publication" || key == "until_publication") {
            auto id = v.to_uint();
            if (!id) return bad(key, "a publication id");
            (key == "from_publication"     ? q.from_pub
             : key == "after_publication"  ? q.after_pub
             : key == "before_publication" ? q.before_pub
                                           : q.until_pub) = *id;
        } else if (key == "topic") {
            if (!v.is_string()) return bad(key, "a URI");
            q.topic = v.as_string();
        }
        // other keys: ignored, as the spec asks of unknown options
    }
    return q;
}

} // namespace

OrUriError<wamp::Array> BrokerImpl::get_events(wamp::Id id, const Object& filters,
                                               const Session& requester) const {
    auto sub = by_id_.find(id);
    if (sub == by_id_.end())
        return UriError{wamp::errors::no_such_subscription,
                        "no subscription " + std::to_string(id)};
    auto store = histories_.find(history_key(sub->second->uri, sub->second->match));
    if (store == histories_.end()) return wamp::Array{}; // history not configured: none kept
    auto query = parse_query(filters);
    if (auto* e = std::get_if<UriError>(&query)) return *e;
    const HistoryQuery& q = std::get<HistoryQuery>(query);

    // Publication filters refer to positions in the history, not id order
    // (publication ids are random).
    const auto& events = store->second.events;
    const auto position = [&](wamp::Id pub) -> std::optional<std::size_t> {
        for (std::size_t i = 0; i < events.size(); ++i)
            if (events[i].publication == pub) return i;
        return std::nullopt;
    };
    std::size_t lo = 0, hi = events.size(); // [lo, hi)
    if (q.from_pub) lo = std::max(lo, position(*q.from_pub).value_or(events.size()));
    if (q.after_pub) lo = std::max(lo, position(*q.after_pub).value_or(events.size()) + 1);
    if (q.before_pub) hi = std::min(hi, position(*q.before_pub).value_or(0));
    if (q.until_pub) hi = std::min(hi, position(*q.until_pub).value_or(0) + 1);

    std::vector<const StoredEvent*> picked;
    for (std::size_t i = lo; i < hi && lo < events.size(); ++i) {
        const StoredEvent& e = events[i];
        if (q.from_time && e.timestamp_ms < *q.from_time) continue;
        if (q.after_time && e.timestamp_ms <= *q.after_time) continue;
        if (q.before_time && e.timestamp_ms >= *q.before_time) continue;
        if (q.until_time && e.timestamp_ms > *q.until_time) continue;
        if (q.topic && e.topic != *q.topic) continue;
        // The original publication's authid/authrole lists apply to the requester.
        Audience lists = e.audience;
        lists.exclude_me = false;
        if (!lists.admits(requester)) continue;
        picked.push_back(&e);
    }
    if (q.reverse) std::reverse(picked.begin(), picked.end());
    if (q.limit && picked.size() > *q.limit) picked.resize(*q.limit);

    wamp::Array out;
    out.reserve(picked.size());
    for (const StoredEvent* e : picked) {
        Object item{{"timestamp", format_timestamp(e->timestamp_ms)},
                    {"subscription", id},
                    {"publication", e->publication},
                    {"topic", e->topic},
                    {"details", e->details}};
        if (e->payload.has_args()) item.emplace("args", e->payload.args());
        if (e->payload.has_kwargs()) item.emplace("kwargs", e->payload.kwargs());
        // The answer is [50, Request, {}, [[item, ...]]]: an event whose
        // payload nests nearly to the decoders' limit would make it
        // undecodable for the caller, so such an event is left out.
        if (3 + nesting_depth(item) > max_message_depth) continue;
        out.emplace_back(std::move(item));
    }
    return out;
}

// Broker: forwarding ---------------------------------------------------------

Broker::Broker(RealmContext& realm) : impl_(std::make_unique<BrokerImpl>(realm)) {}
Broker::~Broker() = default;
wamp::Status Broker::subscribe(Session& s, wamp::Subscribe&& m) {
    return impl_->subscribe(s, std::move(m));
}
wamp::Status Broker::unsubscribe(Session& s, const wamp::Unsubscribe& m) {
    return impl_->unsubscribe(s, m);
}
wamp::Status Broker::publish(Session& s, wamp::Publish&& m, bool force_disclose) {
    return impl_->publish(s, std::move(m), force_disclose);
}
void Broker::remove_session(Session& s) { impl_->remove_session(s); }
void Broker::deliver_remote(const std::string& topic, wamp::Event&& e,
                            const wamp::Object& options) {
    impl_->deliver_remote(topic, std::move(e), options);
}
void Broker::add_remote(Session& proxy, wamp::MatchPolicy match, std::string uri,
                        std::string nkey) {
    impl_->add_remote(proxy, match, std::move(uri), std::move(nkey));
}
void Broker::remove_remote(Session& proxy, wamp::MatchPolicy match, std::string_view uri) {
    impl_->remove_remote(proxy, match, uri);
}
void Broker::snapshot(wamp::Array& out) const { impl_->snapshot(out); }
void Broker::restore_retained(const std::string& topic, const wamp::Value& stored) {
    impl_->restore_retained(topic, stored);
}
void Broker::publish_meta(std::string_view topic, const std::function<wamp::Array()>& args,
                          wamp::Id cause) {
    impl_->publish_meta(topic, args, cause);
}
OrUriError<std::vector<wamp::Id>> Broker::revoke(wamp::Id id, std::optional<wamp::Id> subscriber,
                                                 const std::string& reason) {
    return impl_->revoke(id, subscriber, reason);
}
std::size_t Broker::count() const { return impl_->count(); }
std::vector<wamp::Id> Broker::list(wamp::MatchPolicy match) const { return impl_->list(match); }
std::optional<wamp::Id> Broker::lookup(std::string_view topic, wamp::MatchPolicy match) const {
    return impl_->lookup(topic, match);
}
std::vector<wamp::Id> Broker::match(std::string_view topic) const { return impl_->match(topic); }
std::optional<Broker::SubscriptionInfo> Broker::get(wamp::Id id) const { return impl_->get(id); }
std::optional<std::vector<wamp::Id>> Broker::subscribers(wamp::Id id) const {
    return impl_->subscribers(id);
}
OrUriError<wamp::Array> Broker::get_events(wamp::Id id, const wamp::Object& filters,
                                           const Session& requester) const {
    return impl_->get_events(id, filters, requester);
}

} // namespace nexus::router
