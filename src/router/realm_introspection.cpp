// Realm: copies of its state for monitoring and administration
// (Router's introspection calls). The lock is held only to copy; anything
// that can be read without it (a session's identity, its connection's
// counters) is read after.
#include <algorithm>

#include <nexus/wamp/uris.hpp>

#include "router/connection.hpp"
#include "router/realm.hpp"

namespace nexus::router {

namespace {

// A queue whose messages nobody reads: the router's own publications get
// their PUBLISHED or ERROR there.
class DiscardingPeer final : public Peer {
public:
    void wake() override {}
    void close() override {}
};

} // namespace

RealmSummary Realm::summary() const {
    std::lock_guard lock(mutex_);
    return RealmSummary{config_.uri, members_.size(), dealer_.count(), broker_.count()};
}

void Realm::read_metrics(RealmMetrics& out) const {
    out.uri = config_.uri;
    std::lock_guard lock(mutex_);
    stats_.read(out);
    out.registrations = dealer_.count();
    out.subscriptions = broker_.count();
}

SessionPage Realm::sessions(std::size_t offset, std::size_t limit) const {
    std::vector<Member> members;
    {
        std::lock_guard lock(mutex_);
        members.reserve(members_.size());
        for (const auto& [id, member] : members_)
            members.push_back(member);
    }
    // Identity fields never change after join (session.hpp): read without the lock.
    std::sort(members.begin(), members.end(), [](const Member& a, const Member& b) {
        const Session &x = *a.session, &y = *b.session;
        return x.joined_at != y.joined_at ? x.joined_at < y.joined_at : x.id < y.id;
    });
    SessionPage page;
    page.total = members.size();
    const std::size_t first = std::min(offset, members.size());
    const std::size_t count = std::min(limit, members.size() - first);
    page.sessions.reserve(count);
    for (std::size_t i = first; i < first + count; ++i) {
        const Member& m = members[i];
        const Session& s = *m.session;
        SessionSummary summary;
        summary.id = s.id;
        summary.authid = s.authid;
        summary.authrole = s.authrole;
        summary.authmethod = s.authmethod;
        summary.authprovider = s.authprovider;
        summary.transport = s.transport.type;
        summary.protocol = s.transport.protocol;
        summary.serializer = serializer_of(s.transport.protocol);
        summary.peer = s.transport.peer;
        summary.joined_at = s.joined_at;
        if (auto conn = m.connection.lock()) {
            summary.messages_received = conn->messages_received();
            summary.messages_sent = conn->queue()->taken();
            summary.queue_depth = conn->queue()->size();
            summary.events_dropped = conn->queue()->dropped();
        }
        page.sessions.push_back(std::move(summary));
    }
    return page;
}

std::vector<RegistrationSummary> Realm::registrations() const {
    std::vector<RegistrationSummary> out;
    std::lock_guard lock(mutex_);
    for (wamp::MatchPolicy match :
         {wamp::MatchPolicy::exact, wamp::MatchPolicy::prefix, wamp::MatchPolicy::wildcard})
        for (wamp::Id id : dealer_.list(match)) {
            auto info = dealer_.get(id);
            if (!info) continue;
            out.push_back(RegistrationSummary{
                info->id, std::move(info->uri), info->match, std::move(info->invoke),
                std::move(info->created), dealer_.callees(id).value_or(std::vector<wamp::Id>{})});
        }
    return out;
}

std::vector<SubscriptionSummary> Realm::subscriptions() const {
    std::vector<SubscriptionSummary> out;
    std::lock_guard lock(mutex_);
    for (wamp::MatchPolicy match :
         {wamp::MatchPolicy::exact, wamp::MatchPolicy::prefix, wamp::MatchPolicy::wildcard})
        for (wamp::Id id : broker_.list(match)) {
            auto info = broker_.get(id);
            if (!info) continue;
            out.push_back(SubscriptionSummary{
                info->id, std::move(info->uri), info->match, std::move(info->created),
                broker_.subscribers(id).value_or(std::vector<wamp::Id>{})});
        }
    return out;
}

bool Realm::kill(wamp::Id id, std::string_view reason, std::string_view message) {
    std::lock_guard lock(mutex_);
    return kill_locked({id}, reason, message, KillNotice::announced) == 1;
}

wamp::Expected<wamp::Id> Realm::publish(wamp::Publish publish) {
    auto queue = std::make_shared<OutboundQueue>(std::make_shared<DiscardingPeer>(), 4,
                                                 OverflowPolicy::drop_events);
    Session router(new_id(), config_.uri, queue);
    router.authid = "nexus";
    router.authrole = "nexus.router";
    router.authmethod = "internal";
    router.authprovider = "nexus";
    router.transport.type = "internal";
    router.features.publisher = true;
    publish.request = 1;
    publish.options.insert_or_assign("acknowledge", true);
    {
        std::lock_guard lock(mutex_);
        if (closed_) return wamp::Failure{std::string(wamp::errors::no_such_realm)};
        if (auto status = broker_.publish(router, std::move(publish)); !status)
            return wamp::Failure{std::string(wamp::errors::invalid_argument) + ": " +
                                 status.error().message};
    }
    std::vector<OutgoingPtr> answer;
    queue->take(answer, 1);
    if (answer.empty()) return wamp::Failure{"the broker did not answer"};
    const wamp::Message& m = answer.front()->message();
    if (auto* published = std::get_if<wamp::Published>(&m)) return published->publication;
    if (auto* error = std::get_if<wamp::Error>(&m)) {
        std::string text = error->error;
        const wamp::Array args = error->payload.args();
        if (!args.empty() && args.front().if_string()) text += ": " + *args.front().if_string();
        return wamp::Failure{std::move(text)};
    }
    return wamp::Failure{"the broker answered " +
                         std::string(wamp::message_name(wamp::message_type(m)))};
}

} // namespace nexus::router
