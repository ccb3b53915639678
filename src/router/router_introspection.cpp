// Router: monitoring and administration (router.hpp), on top of the realms'
// own introspection (realm_introspection.cpp).
#include <nexus/router/router.hpp>
#include <nexus/wamp/uris.hpp>

#include "router/realm.hpp"
#include "router/router_impl.hpp"

namespace nexus::router {

std::shared_ptr<Realm> RouterImpl::existing_realm(std::string_view uri) const {
    std::lock_guard lock(mutex_);
    auto it = realms_.find(uri);
    return it == realms_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<Realm>> RouterImpl::realm_list() const {
    std::lock_guard lock(mutex_);
    std::vector<std::shared_ptr<Realm>> out;
    out.reserve(realms_.size());
    for (const auto& [uri, realm] : realms_)
        out.push_back(realm);
    return out;
}

MetricsSnapshot Router::metrics() const {
    MetricsSnapshot out = impl_->metrics()->snapshot();
    for (const auto& realm : impl_->realm_list())
        realm->read_metrics(out.realms.emplace_back());
    if (const auto& node = impl_->cluster_node())
        out.cluster = ClusterMetrics{node->connected(), node->peers().size(), node->dropped()};
    return out;
}

std::vector<RealmSummary> Router::realm_summaries() const {
    std::vector<RealmSummary> out;
    for (const auto& realm : impl_->realm_list())
        out.push_back(realm->summary());
    return out;
}

std::optional<SessionPage> Router::sessions(std::string_view realm, std::size_t offset,
                                            std::size_t limit) const {
    if (auto r = impl_->existing_realm(realm)) return r->sessions(offset, limit);
    return std::nullopt;
}

std::optional<std::vector<RegistrationSummary>>
Router::registrations(std::string_view realm) const {
    if (auto r = impl_->existing_realm(realm)) return r->registrations();
    return std::nullopt;
}

std::optional<std::vector<SubscriptionSummary>>
Router::subscriptions(std::string_view realm) const {
    if (auto r = impl_->existing_realm(realm)) return r->subscriptions();
    return std::nullopt;
}

Router::KillResult Router::kill_session(std::string_view realm, wamp::Id session,
                                        std::string_view reason, std::string_view message) {
    auto r = impl_->existing_realm(realm);
    if (!r) return KillResult::no_such_realm;
    return r->kill(session, reason, message) ? KillResult::killed : KillResult::no_such_session;
}

wamp::Expected<wamp::Id> Router::publish(std::string_view realm, wamp::Publish publish) {
    auto r = impl_->existing_realm(realm);
    if (!r) return wamp::Failure{std::string(wamp::errors::no_such_realm)};
    return r->publish(std::move(publish));
}

} // namespace nexus::router
