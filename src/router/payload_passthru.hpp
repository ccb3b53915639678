// The ppt_* options of Payload Passthru Mode (rpc/pubsub "Payload Passthru
// Mode"): which of them a CALL, YIELD or PUBLISH carries, and copying them to
// the INVOCATION, RESULT or EVENT that delivers it.
//
// Every routed message asks, so the common case (none) must be cheap: the keys
// share the "ppt_" prefix and sit together in an ordered options map, found
// with one lookup instead of one per key.
#pragma once

#include <algorithm>
#include <iterator>
#include <string>
#include <string_view>

#include <nexus/wamp/value.hpp>

namespace nexus::router {

inline constexpr std::string_view ppt_keys[] = {"ppt_scheme", "ppt_serializer", "ppt_cipher",
                                                "ppt_keyid"};

/// Calls f(key, value) for each ppt_* option the spec defines.
template <class F> void for_each_ppt(const wamp::Object& options, F&& f) {
    constexpr std::string_view prefix = "ppt_";
    for (auto it = options.lower_bound(prefix);
         it != options.end() && std::string_view(it->first).starts_with(prefix); ++it)
        if (std::find(std::begin(ppt_keys), std::end(ppt_keys), it->first) != std::end(ppt_keys))
            f(it->first, it->second);
}

inline bool has_ppt(const wamp::Object& options) {
    bool found = false;
    for_each_ppt(options, [&](const std::string&, const wamp::Value&) { found = true; });
    return found;
}

/// Copies the ppt_* options into a message's details (replacing any there).
inline void copy_ppt(const wamp::Object& options, wamp::Object& details) {
    for_each_ppt(options, [&](const std::string& key, const wamp::Value& value) {
        details.insert_or_assign(key, value);
    });
}

} // namespace nexus::router
