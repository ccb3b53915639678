#include "transport/net/websocket_upgrade.hpp"

#include <algorithm>
#include <cctype>

#include <boost/beast/websocket/rfc6455.hpp>

#include <nexus/wamp/id.hpp>

namespace nexus::transport::upgrade {

namespace http = boost::beast::http;

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

} // namespace

bool glob_match(std::string_view pattern, std::string_view text) {
    std::size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
    const auto eq = [](char a, char b) {
        return std::tolower(static_cast<unsigned char>(a)) ==
               std::tolower(static_cast<unsigned char>(b));
    };
    while (t < text.size()) {
        if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            mark = t;
        } else if (p < pattern.size() && eq(pattern[p], text[t])) {
            ++p;
            ++t;
        } else if (star != std::string_view::npos) {
            p = star + 1;
            t = ++mark;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*')
        ++p;
    return p == pattern.size();
}

std::string Subprotocol::name() const {
    return std::string(wamp::websocket_subprotocol(format)) + (batched ? ".batched" : "");
}

std::optional<Subprotocol> negotiate(std::string_view offered,
                                     const std::vector<wamp::Format>& ours) {
    constexpr std::string_view batched = ".batched";
    while (!offered.empty()) {
        const auto comma = offered.find(',');
        std::string_view item = trim(offered.substr(0, comma));
        const bool is_batched = item.ends_with(batched);
        if (is_batched) item.remove_suffix(batched.size());
        for (wamp::Format f : ours)
            if (item == wamp::websocket_subprotocol(f)) return Subprotocol{f, is_batched};
        if (comma == std::string_view::npos) break;
        offered.remove_prefix(comma + 1);
    }
    return std::nullopt;
}

std::string cookie_value(std::string_view header) {
    while (!header.empty()) {
        const auto semi = header.find(';');
        std::string_view item = trim(header.substr(0, semi));
        if (item.starts_with(cookie_name) && item.size() > cookie_name.size() &&
            item[cookie_name.size()] == '=')
            return std::string(item.substr(cookie_name.size() + 1));
        if (semi == std::string_view::npos) break;
        header.remove_prefix(semi + 1);
    }
    return {};
}

Decision decide(const Request& request, const WebSocketOptions& options) {
    const std::string_view target = request.target();
    const std::string_view path = target.substr(0, target.find('?'));
    if (std::find(options.paths.begin(), options.paths.end(), path) == options.paths.end())
        return Refuse{http::status::not_found, "no WAMP endpoint at " + std::string(path)};
    if (!boost::beast::websocket::is_upgrade(request))
        return Refuse{http::status::upgrade_required,
                      "this is a WAMP WebSocket endpoint: upgrade to WebSocket"};
    if (!options.allow_origins.empty()) {
        const std::string_view origin = request[http::field::origin];
        const bool allowed =
            origin.empty() ||
            std::any_of(options.allow_origins.begin(), options.allow_origins.end(),
                        [&](const std::string& p) { return glob_match(p, origin); });
        if (!allowed) return Refuse{http::status::forbidden, "origin not allowed"};
    }
    const auto subprotocol =
        negotiate(request[http::field::sec_websocket_protocol], options.formats);
    if (!subprotocol) {
        std::string supported;
        for (bool batched : {false, true})
            for (wamp::Format f : options.formats)
                supported += (supported.empty() ? "" : ", ") + Subprotocol{f, batched}.name();
        return Refuse{http::status::bad_request,
                      "no supported WebSocket subprotocol offered; supported: " + supported};
    }
    Accept accept;
    accept.format = subprotocol->format;
    accept.batched = subprotocol->batched;
    if (options.enable_tracking_cookie) {
        accept.cookie = cookie_value(request[http::field::cookie]);
        if (accept.cookie.empty()) {
            accept.cookie = std::to_string(wamp::random_id()) + std::to_string(wamp::random_id());
            accept.new_cookie = true;
        }
    }
    return accept;
}

wamp::Value received_headers(const Request& request) {
    wamp::Object headers;
    for (const auto& field : request) {
        std::string name(field.name_string());
        for (char& c : name)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        const std::string_view value = field.value();
        auto [it, inserted] = headers.try_emplace(std::move(name), std::string(value));
        if (!inserted)
            it->second = wamp::Value(*it->second.if_string() + ", " + std::string(value));
    }
    return wamp::Value(std::move(headers));
}

} // namespace nexus::transport::upgrade
