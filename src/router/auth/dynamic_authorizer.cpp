#include "router/auth/dynamic_authorizer.hpp"

#include <type_traits>

namespace nexus::router {

namespace {

using wamp::Object;
using wamp::Value;

} // namespace

wamp::MatchPolicy requested_match(const Object& options) {
    if (auto it = options.find("match"); it != options.end())
        if (const std::string* name = it->second.if_string())
            if (auto policy = wamp::parse_match_policy(*name)) return *policy;
    return wamp::MatchPolicy::exact;
}

std::vector<AuthorizationNeed> authorization_needs(const wamp::Message& message) {
    std::vector<AuthorizationNeed> needs;
    std::visit(
        [&](const auto& m) {
            using M = std::decay_t<decltype(m)>;
            if constexpr (std::is_same_v<M, wamp::Subscribe>) {
                needs.push_back(
                    {Action::subscribe, m.topic, requested_match(m.options), m.options});
            } else if constexpr (std::is_same_v<M, wamp::Register>) {
                needs.push_back(
                    {Action::register_, m.procedure, requested_match(m.options), m.options});
            } else if constexpr (std::is_same_v<M, wamp::Publish>) {
                needs.push_back({Action::publish, m.topic, wamp::MatchPolicy::exact, m.options});
            } else if constexpr (std::is_same_v<M, wamp::Call>) {
                needs.push_back({Action::call, m.procedure, wamp::MatchPolicy::exact, m.options});
                // The meta API checks that a testament's publisher may publish
                // to its topic; that decision must be at hand when it does.
                if (m.procedure == "wamp.session.add_testament") {
                    const wamp::Array args = m.payload.args();
                    if (!args.empty() && args[0].is_string()) {
                        Object publish_options;
                        const Object kwargs = m.payload.kwargs();
                        if (auto it = kwargs.find("publish_options");
                            it != kwargs.end() && it->second.is_object())
                            publish_options = it->second.as_object();
                        publish_options.erase("acknowledge");
                        needs.push_back({Action::publish, args[0].as_string(),
                                         wamp::MatchPolicy::exact, std::move(publish_options)});
                    }
                }
            }
        },
        message);
    return needs;
}

bool bypasses_authorization_wait(const wamp::Message& message) {
    return std::holds_alternative<wamp::Yield>(message) ||
           std::holds_alternative<wamp::Error>(message);
}

wamp::Array authorizer_arguments(const SessionIdentity& who, const AuthorizationNeed& need) {
    Object session{
        {"session", Value(who.session)},       {"realm", Value(who.realm)},
        {"authid", Value(who.authid)},         {"authrole", Value(who.authrole)},
        {"authmethod", Value(who.authmethod)}, {"authprovider", Value(who.authprovider)}};
    return wamp::Array{Value(std::move(session)), Value(need.uri),
                       Value(std::string(action_name(need.action))), Value(need.options)};
}

AuthorizerAnswer read_authorizer_answer(const wamp::Message& reply) {
    AuthorizerAnswer answer;
    if (const auto* e = std::get_if<wamp::Error>(&reply)) {
        answer.problem = "it answered ERROR " + e->error;
        return answer;
    }
    const auto* result = std::get_if<wamp::Result>(&reply);
    if (!result) {
        answer.problem = "it sent no RESULT";
        return answer;
    }
    const wamp::Array args = result->payload.args();
    if (args.empty()) {
        answer.problem = "its RESULT has no arguments";
        return answer;
    }
    if (const bool* allow = args[0].if_bool()) {
        answer.authorization.allowed = *allow;
        return answer;
    }
    if (!args[0].is_object()) {
        answer.problem = "its answer is neither a bool nor {allow, disclose, cache}";
        return answer;
    }
    const Object& o = args[0].as_object();
    const auto flag = [&](std::string_view key, bool& out) {
        auto it = o.find(key);
        if (it == o.end()) return true;
        const bool* b = it->second.if_bool();
        if (!b) return false;
        out = *b;
        return true;
    };
    Authorization decided;
    bool cache = false;
    if (o.find("allow") == o.end() || !flag("allow", decided.allowed) ||
        !flag("disclose", decided.disclose) || !flag("cache", cache)) {
        answer.problem = "its answer needs a bool \"allow\" (and bool \"disclose\", \"cache\")";
        return answer;
    }
    answer.authorization = decided;
    answer.cache = cache;
    return answer;
}

std::string DynamicAuthorizationState::key(const AuthorizationNeed& need) {
    std::string k;
    k.reserve(need.uri.size() + 2);
    k.push_back(static_cast<char>('0' + static_cast<int>(need.action)));
    k.push_back(static_cast<char>('0' + static_cast<int>(need.match)));
    k += need.uri;
    return k;
}

std::optional<Authorization> DynamicAuthorizationState::find(const AuthorizationNeed& need,
                                                             Clock::time_point now) const {
    const std::string k = key(need);
    for (const auto& [decided_key, decision] : current_)
        if (decided_key == k) return decision;
    auto it = cache_.find(k);
    // An expired entry stays until decide() overwrites or sweeps it.
    if (it == cache_.end() || it->second.expires <= now) return std::nullopt;
    return it->second.decision;
}

void DynamicAuthorizationState::decide(const AuthorizationNeed& need, Authorization decision,
                                       Clock::duration ttl, Clock::time_point now) {
    std::string k = key(need);
    if (ttl > Clock::duration::zero()) {
        if (cache_.size() >= max_cached) {
            std::erase_if(cache_, [&](const auto& entry) { return entry.second.expires <= now; });
            if (cache_.size() >= max_cached) cache_.clear();
        }
        cache_.insert_or_assign(k, Cached{decision, now + ttl});
    }
    current_.emplace_back(std::move(k), decision);
}

} // namespace nexus::router
