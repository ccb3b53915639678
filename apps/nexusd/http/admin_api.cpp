#include "http/admin_api.hpp"

#include <charconv>
#include <ctime>

#include <nexus/serialize/serializer.hpp>
#include <nexus/wamp/message.hpp>
#include <nexus/wamp/uri.hpp>
#include <nexus/wamp/uris.hpp>

namespace nexusd::http {

namespace bhttp = boost::beast::http;
using nexus::wamp::Array;
using nexus::wamp::Object;
using nexus::wamp::Value;

namespace {

constexpr std::size_t default_page = 500;
constexpr std::size_t max_page = 5000;

std::string iso8601(std::chrono::system_clock::time_point t) {
    const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000;
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    char text[40];
    const std::size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
    char millis[8];
    std::snprintf(millis, sizeof millis, ".%03dZ", static_cast<int>(ms));
    return std::string(text, n) + millis;
}

Array ids(const std::vector<nexus::wamp::Id>& list) {
    Array out;
    out.reserve(list.size());
    for (nexus::wamp::Id id : list)
        out.emplace_back(id);
    return out;
}

Value session_json(const nexus::router::SessionSummary& s) {
    return Object{
        {"id", s.id},
        {"authid", s.authid},
        {"authrole", s.authrole},
        {"authmethod", s.authmethod},
        {"authprovider", s.authprovider},
        {"transport", s.transport},
        {"protocol", s.protocol},
        {"serializer", s.serializer},
        {"peer", s.peer},
        {"joined_at", iso8601(s.joined_at)},
        {"messages_in", s.messages_received},
        {"messages_out", s.messages_sent},
        {"queue_depth", static_cast<std::uint64_t>(s.queue_depth)},
        {"events_dropped", s.events_dropped},
    };
}

std::optional<std::size_t> parse_size(const std::optional<std::string>& text) {
    if (!text) return std::nullopt;
    std::size_t n = 0;
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), n);
    if (ec != std::errc() || end != text->data() + text->size()) return std::nullopt;
    return n;
}

Object counts_by_type(const std::array<std::uint64_t, 71>& counts) {
    Object out;
    for (std::size_t code = 1; code < counts.size(); ++code)
        if (nexus::wamp::is_known_message_type(code))
            out.emplace(
                std::string(nexus::wamp::message_name(static_cast<nexus::wamp::MessageType>(code))),
                counts[code]);
    return out;
}

Object counts_by_name(const std::map<std::string, std::uint64_t>& counts) {
    Object out;
    for (const auto& [name, n] : counts)
        out.emplace(name, n);
    return out;
}

// The request body as a JSON object; an empty body is an empty object.
std::optional<Object> body_object(const std::string& body) {
    if (body.find_first_not_of(" \t\r\n") == std::string::npos) return Object{};
    auto value = nexus::serialize::decode_value(nexus::wamp::Format::json, body);
    if (!value || !value->is_object()) return std::nullopt;
    return value->as_object();
}

} // namespace

Response json_response(bhttp::status status, const Value& value, unsigned version) {
    Response r{status, version};
    r.set(bhttp::field::content_type, "application/json");
    r.set(bhttp::field::cache_control, "no-store");
    std::string text;
    if (!nexus::serialize::encode_value_into(nexus::wamp::Format::json, value, text)) {
        r.result(bhttp::status::internal_server_error);
        text = R"({"error":"internal","message":"a value JSON cannot carry"})";
    }
    r.body() = std::move(text);
    r.body() += '\n';
    return r;
}

Response json_error(bhttp::status status, std::string_view error, std::string_view message,
                    unsigned version) {
    return json_response(
        status, Object{{"error", std::string(error)}, {"message", std::string(message)}}, version);
}

std::optional<std::string> percent_decode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            out += text[i];
            continue;
        }
        if (i + 2 >= text.size()) return std::nullopt;
        unsigned value = 0;
        auto [end, ec] = std::from_chars(text.data() + i + 1, text.data() + i + 3, value, 16);
        if (ec != std::errc() || end != text.data() + i + 3) return std::nullopt;
        out += static_cast<char>(value);
        i += 2;
    }
    return out;
}

std::optional<std::string> query_value(std::string_view query, std::string_view key) {
    while (!query.empty()) {
        const auto amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        const auto eq = pair.find('=');
        if (pair.substr(0, eq) != key) continue;
        std::string value(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
        for (char& c : value)
            if (c == '+') c = ' ';
        return percent_decode(value);
    }
    return std::nullopt;
}

AdminApi::AdminApi(nexus::router::Router& router, std::function<Object()> status)
    : router_(router), status_(std::move(status)) {}

Response AdminApi::handle(bhttp::verb method, std::string_view path, std::string_view query,
                          const std::string& body, unsigned version) {
    const bool get = method == bhttp::verb::get || method == bhttp::verb::head;
    if (path == "/overview") {
        if (!get)
            return json_error(bhttp::status::method_not_allowed, "method", "use GET", version);
        return overview(version);
    }
    if (path == "/realms") {
        if (!get)
            return json_error(bhttp::status::method_not_allowed, "method", "use GET", version);
        Array realms;
        for (const auto& r : router_.realm_summaries())
            realms.emplace_back(
                Object{{"uri", r.uri},
                       {"sessions", static_cast<std::uint64_t>(r.sessions)},
                       {"registrations", static_cast<std::uint64_t>(r.registrations)},
                       {"subscriptions", static_cast<std::uint64_t>(r.subscriptions)}});
        return json_response(bhttp::status::ok, Object{{"realms", std::move(realms)}}, version);
    }
    constexpr std::string_view prefix = "/realms/";
    if (path.starts_with(prefix)) {
        std::string_view rest = path.substr(prefix.size());
        const auto slash = rest.find('/');
        const auto realm = percent_decode(rest.substr(0, slash));
        if (!realm || realm->empty())
            return json_error(bhttp::status::bad_request, "path", "malformed realm in the path",
                              version);
        rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
        return realm_request(method, *realm, rest, query, body, version);
    }
    return json_error(bhttp::status::not_found, "not_found", "no such API path", version);
}

Response AdminApi::realm_request(bhttp::verb method, std::string_view realm, std::string_view rest,
                                 std::string_view query, const std::string& body,
                                 unsigned version) {
    const bool get = method == bhttp::verb::get || method == bhttp::verb::head;
    const auto not_allowed = [&](const char* allowed) {
        Response r = json_error(bhttp::status::method_not_allowed, "method",
                                std::string("use ") + allowed, version);
        r.set(bhttp::field::allow, allowed);
        return r;
    };
    const auto no_realm = [&] {
        return json_error(bhttp::status::not_found, nexus::wamp::errors::no_such_realm,
                          "no realm \"" + std::string(realm) + "\"", version);
    };
    if (rest == "/sessions") {
        if (!get) return not_allowed("GET");
        return sessions(realm, query, version);
    }
    if (rest.starts_with("/sessions/")) {
        if (method != bhttp::verb::delete_) return not_allowed("DELETE");
        return kill(realm, rest.substr(10), body, version);
    }
    if (rest == "/registrations") {
        if (!get) return not_allowed("GET");
        auto list = router_.registrations(realm);
        if (!list) return no_realm();
        Array out;
        for (const auto& r : *list)
            out.emplace_back(Object{{"id", r.id},
                                    {"uri", r.uri},
                                    {"match", std::string(nexus::wamp::match_policy_name(r.match))},
                                    {"invoke", r.invoke},
                                    {"created", r.created},
                                    {"callees", ids(r.callees)}});
        return json_response(
            bhttp::status::ok,
            Object{{"realm", std::string(realm)}, {"registrations", std::move(out)}}, version);
    }
    if (rest == "/subscriptions") {
        if (!get) return not_allowed("GET");
        auto list = router_.subscriptions(realm);
        if (!list) return no_realm();
        Array out;
        for (const auto& s : *list)
            out.emplace_back(Object{{"id", s.id},
                                    {"uri", s.uri},
                                    {"match", std::string(nexus::wamp::match_policy_name(s.match))},
                                    {"created", s.created},
                                    {"subscribers", ids(s.subscribers)}});
        return json_response(
            bhttp::status::ok,
            Object{{"realm", std::string(realm)}, {"subscriptions", std::move(out)}}, version);
    }
    if (rest == "/publish") {
        if (method != bhttp::verb::post) return not_allowed("POST");
        return publish(realm, body, version);
    }
    return json_error(bhttp::status::not_found, "not_found", "no such API path", version);
}

Response AdminApi::sessions(std::string_view realm, std::string_view query,
                            unsigned version) const {
    const auto limit_text = query_value(query, "limit");
    const auto offset_text = query_value(query, "offset");
    const auto limit =
        limit_text ? parse_size(limit_text) : std::optional<std::size_t>(default_page);
    const auto offset = offset_text ? parse_size(offset_text) : std::optional<std::size_t>(0);
    if (!limit || !offset || *limit > max_page)
        return json_error(bhttp::status::bad_request, "query",
                          "limit (at most " + std::to_string(max_page) +
                              ") and offset are non-negative integers",
                          version);
    auto page = router_.sessions(realm, *offset, *limit);
    if (!page)
        return json_error(bhttp::status::not_found, nexus::wamp::errors::no_such_realm,
                          "no realm \"" + std::string(realm) + "\"", version);
    Array out;
    for (const auto& s : page->sessions)
        out.push_back(session_json(s));
    return json_response(bhttp::status::ok,
                         Object{{"realm", std::string(realm)},
                                {"total", static_cast<std::uint64_t>(page->total)},
                                {"offset", static_cast<std::uint64_t>(*offset)},
                                {"sessions", std::move(out)}},
                         version);
}

Response AdminApi::kill(std::string_view realm, std::string_view id_text, const std::string& body,
                        unsigned version) {
    nexus::wamp::Id id = 0;
    auto [end, ec] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
    if (ec != std::errc() || end != id_text.data() + id_text.size() || id == 0)
        return json_error(bhttp::status::bad_request, "path",
                          "the session id is a positive integer", version);
    auto options = body_object(body);
    if (!options)
        return json_error(bhttp::status::bad_request, "json",
                          "the body is a JSON object: {\"reason\": uri, \"message\": text}",
                          version);
    std::string reason(nexus::wamp::close::killed), message = "killed by the administrator";
    if (auto it = options->find("reason"); it != options->end()) {
        const std::string* r = it->second.if_string();
        if (!r || !nexus::wamp::is_valid_uri(*r, nexus::wamp::UriRule::loose))
            return json_error(bhttp::status::bad_request, nexus::wamp::errors::invalid_uri,
                              "reason is a URI", version);
        reason = *r;
    }
    if (auto it = options->find("message"); it != options->end()) {
        const std::string* m = it->second.if_string();
        if (!m)
            return json_error(bhttp::status::bad_request, "json", "message is a string", version);
        message = *m;
    }
    switch (router_.kill_session(realm, id, reason, message)) {
    case nexus::router::Router::KillResult::killed:
        return json_response(bhttp::status::ok, Object{{"killed", id}, {"reason", reason}},
                             version);
    case nexus::router::Router::KillResult::no_such_realm:
        return json_error(bhttp::status::not_found, nexus::wamp::errors::no_such_realm,
                          "no realm \"" + std::string(realm) + "\"", version);
    case nexus::router::Router::KillResult::no_such_session: break;
    }
    return json_error(
        bhttp::status::not_found, nexus::wamp::errors::no_such_session,
        "no session " + std::to_string(id) + " in realm \"" + std::string(realm) + "\"", version);
}

Response AdminApi::publish(std::string_view realm, const std::string& body, unsigned version) {
    auto request = body_object(body);
    if (!request)
        return json_error(bhttp::status::bad_request, "json",
                          "the body is a JSON object: {\"topic\": uri, \"args\": [...], "
                          "\"kwargs\": {...}, \"options\": {...}}",
                          version);
    nexus::wamp::Publish publish;
    Array args;
    Object kwargs;
    for (const auto& [key, value] : *request) {
        if (key == "topic" && value.if_string()) {
            publish.topic = *value.if_string();
        } else if (key == "args" && value.is_array()) {
            args = value.as_array();
        } else if (key == "kwargs" && value.is_object()) {
            kwargs = value.as_object();
        } else if (key == "options" && value.is_object()) {
            publish.options = value.as_object();
        } else {
            return json_error(bhttp::status::bad_request, "json",
                              "\"" + key +
                                  "\" is not one of topic (string), args (list), kwargs "
                                  "(object), options (object)",
                              version);
        }
    }
    if (publish.topic.empty())
        return json_error(bhttp::status::bad_request, "json", "topic is missing", version);
    if (!kwargs.empty())
        publish.payload = nexus::wamp::Payload(std::move(args), std::move(kwargs));
    else if (!args.empty())
        publish.payload = nexus::wamp::Payload(std::move(args));
    auto published = router_.publish(realm, std::move(publish));
    if (published)
        return json_response(bhttp::status::ok, Object{{"publication", *published}}, version);
    const std::string& why = published.error().message;
    const auto colon = why.find(": ");
    const std::string error = why.substr(0, colon);
    const std::string message = colon == std::string::npos ? why : why.substr(colon + 2);
    if (error == nexus::wamp::errors::no_such_realm)
        return json_error(bhttp::status::not_found, error,
                          "no realm \"" + std::string(realm) + "\"", version);
    return json_error(bhttp::status::bad_request, error, message, version);
}

Response AdminApi::overview(unsigned version) const {
    const auto m = router_.metrics();
    Object calls{{"started", m.calls_started},       {"refused", m.calls_refused},
                 {"completed", m.calls_finished[0]}, {"error", m.calls_finished[1]},
                 {"canceled", m.calls_finished[2]},  {"timeout", m.calls_finished[3]}};
    Array bounds, buckets;
    for (double b : nexus::router::call_duration_bounds)
        bounds.emplace_back(b);
    for (std::uint64_t n : m.call_duration_buckets)
        buckets.emplace_back(n);
    Array realms;
    for (const auto& r : m.realms) {
        Array by_kind;
        std::uint64_t open = 0;
        for (const auto& [kind, n] : r.sessions_open) {
            open += n;
            if (n > 0)
                by_kind.emplace_back(
                    Object{{"transport", kind.first}, {"serializer", kind.second}, {"open", n}});
        }
        realms.emplace_back(Object{{"uri", r.uri},
                                   {"sessions", open},
                                   {"sessions_by_transport", std::move(by_kind)},
                                   {"sessions_opened", r.sessions_opened},
                                   {"sessions_closed", Object{{"goodbye", r.sessions_closed[0]},
                                                              {"lost", r.sessions_closed[1]},
                                                              {"killed", r.sessions_closed[2]}}},
                                   {"registrations", r.registrations},
                                   {"subscriptions", r.subscriptions}});
    }
    Object out = status_ ? status_() : Object{};
    out.insert_or_assign(
        "time", static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                               std::chrono::system_clock::now().time_since_epoch())
                                               .count()));
    out.insert_or_assign("messages_received", counts_by_type(m.messages_received));
    out.insert_or_assign("messages_sent", counts_by_type(m.messages_sent));
    out.insert_or_assign("events", Object{{"published", m.events_published},
                                          {"delivered", m.events_delivered},
                                          {"dropped", m.events_dropped}});
    out.insert_or_assign("calls", std::move(calls));
    out.insert_or_assign("call_duration", Object{{"bounds", std::move(bounds)},
                                                 {"buckets", std::move(buckets)},
                                                 {"sum", m.call_duration_sum_seconds},
                                                 {"count", m.call_duration_count}});
    out.insert_or_assign("queues", Object{{"high_water", m.queue_high_water},
                                          {"overflow_disconnects", m.overflow_disconnects}});
    out.insert_or_assign("auth_failures", counts_by_name(m.auth_failures));
    out.insert_or_assign("aborts", counts_by_name(m.aborts));
    out.insert_or_assign("realms", std::move(realms));
    return json_response(bhttp::status::ok, out, version);
}

} // namespace nexusd::http
