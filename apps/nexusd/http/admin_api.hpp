// The admin API under /api (JSON; the bearer token is checked before):
//
//   GET    /api/overview                          counters, process, realms (the dashboard's feed)
//   GET    /api/realms                            realms with their counts
//   GET    /api/realms/{realm}/sessions           ?limit=N&offset=M, oldest first
//   GET    /api/realms/{realm}/registrations
//   GET    /api/realms/{realm}/subscriptions
//   DELETE /api/realms/{realm}/sessions/{id}      body (optional): {"reason": uri, "message": text}
//   POST   /api/realms/{realm}/publish            body: {"topic", "args", "kwargs", "options"}
//
// Errors are {"error": uri-or-word, "message": text} with 400 (bad JSON or
// arguments), 404 (no such realm, session or path) or 405 (method).
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include <boost/beast/http/verb.hpp>

#include <nexus/router/router.hpp>
#include <nexus/wamp/value.hpp>

#include "http/server.hpp"

namespace nexusd::http {

class AdminApi {
public:
    /// `status`: what /api/overview tells besides the router's counters
    /// (process, uptime, readiness, version).
    AdminApi(nexus::router::Router& router, std::function<nexus::wamp::Object()> status);

    /// `path`: the request target below "/api", without the query.
    Response handle(boost::beast::http::verb method, std::string_view path, std::string_view query,
                    const std::string& body, unsigned version);

private:
    Response overview(unsigned version) const;
    Response realm_request(boost::beast::http::verb method, std::string_view realm,
                           std::string_view rest, std::string_view query, const std::string& body,
                           unsigned version);
    Response sessions(std::string_view realm, std::string_view query, unsigned version) const;
    Response kill(std::string_view realm, std::string_view id, const std::string& body,
                  unsigned version);
    Response publish(std::string_view realm, const std::string& body, unsigned version);

    nexus::router::Router& router_;
    std::function<nexus::wamp::Object()> status_;
};

/// A JSON response (UTF-8) of `value`.
Response json_response(boost::beast::http::status status, const nexus::wamp::Value& value,
                       unsigned version);
/// {"error": error, "message": message}
Response json_error(boost::beast::http::status status, std::string_view error,
                    std::string_view message, unsigned version);
/// Decodes %XX escapes; nullopt for a malformed one.
std::optional<std::string> percent_decode(std::string_view text);
/// The value of `key` in a query string ("a=1&b=2"), decoded; nullopt if absent.
std::optional<std::string> query_value(std::string_view query, std::string_view key);

} // namespace nexusd::http
