#include "http/service.hpp"

#include <algorithm>

#include "http/dashboard.hpp"
#include "http/metrics_page.hpp"
#include "http/process_stats.hpp"

namespace nexusd::http {

namespace bhttp = boost::beast::http;

namespace {

Response text(bhttp::status status, std::string body, unsigned version) {
    Response r{status, version};
    r.set(bhttp::field::content_type, "text/plain; charset=utf-8");
    r.set(bhttp::field::cache_control, "no-store");
    r.body() = std::move(body);
    return r;
}

// Compares without returning early, so that the time taken tells nothing
// about how much of a guessed token was right.
bool same_secret(std::string_view a, std::string_view b) {
    unsigned char diff = a.size() == b.size() ? 0 : 1;
    const std::size_t n = std::max(a.size(), b.size());
    for (std::size_t i = 0; i < n; ++i) {
        const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
        const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
        diff |= static_cast<unsigned char>(x ^ y);
    }
    return diff == 0;
}

const char* readiness_name(Readiness r) {
    switch (r) {
    case Readiness::starting: return "starting";
    case Readiness::ready: return "ready";
    case Readiness::draining: return "draining";
    }
    return "?";
}

} // namespace

bool glob_match(std::string_view pattern, std::string_view text) {
    // Iterative matching with backtracking to the last '*'.
    std::size_t p = 0, t = 0, star = std::string_view::npos, resume = 0;
    while (t < text.size()) {
        if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            resume = t;
        } else if (p < pattern.size() && pattern[p] == text[t]) {
            ++p;
            ++t;
        } else if (star != std::string_view::npos) {
            p = star + 1;
            t = ++resume;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*')
        ++p;
    return p == pattern.size();
}

Service::Service(nexus::router::Router& router, ServiceOptions options)
    : router_(router), options_(std::move(options)), api_(router, [this] { return status(); }) {}

nexus::wamp::Object Service::status() const {
    nexus::wamp::Object out{
        {"version", options_.version},
        {"git_hash", options_.git_hash},
        {"readiness", std::string(readiness_name(readiness()))},
        {"uptime",
         std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count()},
    };
    if (auto p = read_process_stats())
        out.emplace("process", nexus::wamp::Object{{"resident_bytes", p->resident_bytes},
                                                   {"open_fds", p->open_fds},
                                                   {"max_fds", p->max_fds},
                                                   {"threads", p->threads},
                                                   {"cpu_seconds", p->cpu_seconds}});
    return out;
}

Response Service::metrics(unsigned version) const {
    MetricsPage page;
    page.router = router_.metrics();
    page.process = read_process_stats();
    page.uptime_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    page.ready = readiness() == Readiness::ready;
    page.version = options_.version;
    page.git_hash = options_.git_hash;
    if (server_stats_) page.http = server_stats_();
    Response r{bhttp::status::ok, version};
    r.set(bhttp::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
    r.set(bhttp::field::cache_control, "no-store");
    r.body() = render_metrics(page);
    return r;
}

bool Service::origin_allowed(const Request& request, const RequestContext& context) const {
    const std::string_view origin = request[bhttp::field::origin];
    if (origin.empty()) return true; // not a browser's cross-origin request
    const std::string self = std::string(context.tls ? "https://" : "http://") +
                             std::string(request[bhttp::field::host]);
    if (origin == self) return true;
    return std::any_of(options_.allow_origins.begin(), options_.allow_origins.end(),
                       [&](const std::string& p) { return glob_match(p, origin); });
}

bool Service::authorized(const Request& request) const {
    constexpr std::string_view scheme = "Bearer ";
    const std::string_view header = request[bhttp::field::authorization];
    if (header.size() <= scheme.size()) return false;
    std::string given(header.substr(0, scheme.size()));
    std::transform(given.begin(), given.end(), given.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (given != "bearer ") return false;
    return same_secret(header.substr(scheme.size()), options_.admin_token);
}

Response Service::handle(const Request& request, const RequestContext& context) {
    const unsigned version = request.version();
    const std::string_view target = request.target();
    const auto question = target.find('?');
    const std::string_view path = target.substr(0, question);
    const std::string_view query =
        question == std::string_view::npos ? std::string_view{} : target.substr(question + 1);
    const bool get = request.method() == bhttp::verb::get || request.method() == bhttp::verb::head;

    if (path == "/api" || path.starts_with("/api/")) {
        const std::string_view origin = request[bhttp::field::origin];
        if (!origin_allowed(request, context))
            return json_error(bhttp::status::forbidden, "origin",
                              "origin " + std::string(origin) +
                                  " may not use the admin API (http.allow_origins)",
                              version);
        const auto cors = [&](Response r) {
            if (!origin.empty()) {
                r.set(bhttp::field::access_control_allow_origin, origin);
                r.set(bhttp::field::vary, "Origin");
            }
            return r;
        };
        if (request.method() == bhttp::verb::options) {
            Response r{bhttp::status::no_content, version};
            r.set(bhttp::field::access_control_allow_methods, "GET, POST, DELETE");
            r.set(bhttp::field::access_control_allow_headers, "Authorization, Content-Type");
            r.set(bhttp::field::access_control_max_age, "600");
            return cors(std::move(r));
        }
        return cors(api(request, path.substr(4), query));
    }

    if (!get) {
        Response r = text(bhttp::status::method_not_allowed, "method not allowed\n", version);
        r.set(bhttp::field::allow, "GET, HEAD");
        return r;
    }
    if (path == "/healthz") return text(bhttp::status::ok, "ok\n", version);
    if (path == "/readyz") {
        const Readiness r = readiness();
        return text(r == Readiness::ready ? bhttp::status::ok : bhttp::status::service_unavailable,
                    std::string(readiness_name(r)) + "\n", version);
    }
    if (path == "/metrics") return metrics(version);
    if (path == "/" || path == "/index.html") {
        Response r{bhttp::status::ok, version};
        r.set(bhttp::field::content_type, "text/html; charset=utf-8");
        r.set(bhttp::field::cache_control, "no-cache");
        // Everything the page needs is in it: nothing may come from elsewhere.
        r.set("Content-Security-Policy",
              "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
              "connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; "
              "frame-ancestors 'none'");
        r.set("X-Content-Type-Options", "nosniff");
        r.body() = std::string(dashboard_html());
        return r;
    }
    return text(bhttp::status::not_found, "not found\n", version);
}

Response Service::api(const Request& request, std::string_view path, std::string_view query) {
    const unsigned version = request.version();
    if (options_.admin_token.empty())
        return json_error(bhttp::status::not_found, "admin_api_off",
                          "the admin API is off: set http.admin_token in the configuration",
                          version);
    if (!authorized(request)) {
        Response r =
            json_error(bhttp::status::unauthorized, "unauthorized",
                       "a valid admin token is needed (Authorization: Bearer TOKEN)", version);
        r.set(bhttp::field::www_authenticate, "Bearer realm=\"nexusd\"");
        return r;
    }
    return api_.handle(request.method(), path, query, request.body(), version);
}

} // namespace nexusd::http
