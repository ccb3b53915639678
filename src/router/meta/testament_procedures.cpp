// wamp.session.add_testament and wamp.session.flush_testaments (spec
// advanced/pubsub_testament.md).
#include <nexus/wamp/uri.hpp>
#include <nexus/wamp/uris.hpp>

#include "router/meta/meta_procedures.hpp"
#include "router/realm.hpp"

namespace nexus::router::meta {

namespace {

using wamp::Array;
using wamp::Object;

constexpr std::size_t max_testaments_per_scope = 64;

// The testament bucket named by kwargs.scope: 0 "detached", 1 "destroyed" (default).
std::optional<int> testament_scope(const Object& kwargs) {
    auto it = kwargs.find("scope");
    if (it == kwargs.end() || it->second.is_null()) return 1;
    const std::string* s = it->second.if_string();
    if (s && *s == "detached") return 0;
    if (s && *s == "destroyed") return 1;
    return std::nullopt;
}

Result add_testament(Call& c) {
    const std::string* topic = string_argument(c.args);
    if (!topic || (c.args.size() > 1 && !c.args[1].is_array()) ||
        (c.args.size() > 2 && !c.args[2].is_object()))
        return bad_argument("expected [topic|uri, args|list, kwargs|dict]");
    auto scope = testament_scope(c.kwargs);
    if (!scope) return bad_argument("scope must be \"detached\" or \"destroyed\"");
    Object options;
    if (auto it = c.kwargs.find("publish_options"); it != c.kwargs.end()) {
        if (!it->second.is_object()) return bad_argument("publish_options must be a dict");
        options = it->second.as_object();
    }
    options.erase("acknowledge"); // nobody is left to hear it
    const auto rule = c.realm.config().strict_uri ? wamp::UriRule::strict : wamp::UriRule::loose;
    if (!wamp::is_valid_uri(*topic, rule) || wamp::is_reserved_uri(*topic))
        return UriError{wamp::errors::invalid_uri, "invalid topic \"" + *topic + "\""};
    if (!c.realm.authorize(c.caller, Action::publish, *topic, options).allowed)
        return UriError{wamp::errors::not_authorized,
                        "this session may not publish to \"" + *topic + "\""};
    auto& bucket = c.caller.testaments[*scope];
    if (bucket.size() >= max_testaments_per_scope)
        return bad_argument("at most " + std::to_string(max_testaments_per_scope) +
                            " testaments per scope");
    Array event_args = c.args.size() > 1 ? c.args[1].as_array() : Array{};
    Object event_kwargs = c.args.size() > 2 ? c.args[2].as_object() : Object{};
    // The other nodes keep it too: if this node dies, one of them publishes it.
    if (cluster::Port* cluster = c.realm.cluster())
        cluster->announce(
            Array{wamp::Value(std::string(cluster::change::testament)), wamp::Value(c.caller.id),
                  wamp::Value(static_cast<std::uint64_t>(*scope)),
                  wamp::Value(Array{wamp::Value(*topic), wamp::Value(event_args),
                                    wamp::Value(event_kwargs), wamp::Value(options)})});
    bucket.push_back({*topic, wamp::Payload(std::move(event_args), std::move(event_kwargs)),
                      std::move(options)});
    return Array{};
}

Result flush_testaments(Call& c) {
    auto scope = testament_scope(c.kwargs);
    if (!scope) return bad_argument("scope must be \"detached\" or \"destroyed\"");
    c.caller.testaments[*scope].clear();
    if (cluster::Port* cluster = c.realm.cluster())
        cluster->announce(Array{wamp::Value(std::string(cluster::change::testament)),
                                wamp::Value(c.caller.id),
                                wamp::Value(static_cast<std::uint64_t>(*scope)), wamp::Value()});
    return Array{};
}

constexpr Procedure procedures[] = {
    {"wamp.session.add_testament", add_testament},
    {"wamp.session.flush_testaments", flush_testaments},
};

} // namespace

std::span<const Procedure> testament_procedures() { return procedures; }

} // namespace nexus::router::meta
