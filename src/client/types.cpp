#include <nexus/client/error.hpp>
#include <nexus/client/types.hpp>
#include <nexus/wamp/features.hpp>

namespace nexus::client {

namespace {
bool flag(const wamp::Object& o, std::string_view key) {
    auto it = o.find(key);
    return it != o.end() && it->second.is_bool() && *it->second.if_bool();
}

std::string describe(const std::string& uri, const wamp::Array& args, const wamp::Object& kwargs,
                     const wamp::Object& details) {
    // The human part of an error, where peers put it: first argument,
    // kwargs.message or details.message.
    std::string text = uri;
    const wamp::Value* message = nullptr;
    if (!args.empty() && args[0].is_string())
        message = &args[0];
    else if (auto it = kwargs.find("message"); it != kwargs.end())
        message = &it->second;
    else if (auto it = details.find("message"); it != details.end())
        message = &it->second;
    if (message && message->is_string()) text += ": " + message->as_string();
    return text;
}
} // namespace

WampError::WampError(std::string uri, wamp::Array args, wamp::Object kwargs, wamp::Object details)
    : std::runtime_error(describe(uri, args, kwargs, details)), uri_(std::move(uri)),
      args_(std::move(args)), kwargs_(std::move(kwargs)), details_(std::move(details)) {}

std::string_view cancel_mode_name(CancelMode mode) noexcept {
    switch (mode) {
    case CancelMode::skip: return "skip";
    case CancelMode::kill: return "kill";
    case CancelMode::killnowait: return "killnowait";
    }
    return "kill";
}

std::optional<CancelMode> parse_cancel_mode(std::string_view name) noexcept {
    if (name == "skip") return CancelMode::skip;
    if (name == "kill") return CancelMode::kill;
    if (name == "killnowait") return CancelMode::killnowait;
    return std::nullopt;
}

std::string_view invoke_policy_name(InvokePolicy policy) noexcept {
    switch (policy) {
    case InvokePolicy::single: return "single";
    case InvokePolicy::roundrobin: return "roundrobin";
    case InvokePolicy::random: return "random";
    case InvokePolicy::first: return "first";
    case InvokePolicy::last: return "last";
    }
    return "single";
}

bool CallResult::progress() const { return flag(details, "progress"); }

std::optional<wamp::Id> Event::publisher() const {
    if (auto it = details.find("publisher"); it != details.end()) return it->second.to_uint();
    return std::nullopt;
}

bool Event::retained() const { return flag(details, "retained"); }

bool SessionInfo::router_has(std::string_view role, std::string_view feature) const {
    return wamp::AnnouncedRoles(details).has_feature(role, feature);
}

std::string CloseInfo::message() const {
    if (auto it = details.find("message"); it != details.end() && it->second.is_string())
        return it->second.as_string();
    return {};
}

} // namespace nexus::client
