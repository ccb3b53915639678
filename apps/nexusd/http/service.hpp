// What nexusd's HTTP listener serves: health and readiness, Prometheus
// metrics, the admin API (bearer token) and the dashboard.
//
//   GET /healthz   200 while the process runs
//   GET /readyz    200 once every listener is open; 503 while starting or draining
//   GET /metrics   Prometheus text 0.0.4 (metrics_page.hpp)
//   GET /          the dashboard (dashboard.hpp), which reads the admin API
//   /api/...       the admin API (admin_api.hpp); off (404) without a token
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include <nexus/router/router.hpp>

#include "http/admin_api.hpp"
#include "http/server.hpp"

namespace nexusd::http {

enum class Readiness { starting, ready, draining };

struct ServiceOptions {
    /// Bearer token for /api; empty: the admin API is off.
    std::string admin_token;
    /// Origins (patterns with '*') other than the listener's own whose pages
    /// may call the admin API (CORS); a request from any other origin gets 403.
    std::vector<std::string> allow_origins;
    std::string version;
    std::string git_hash;
};

class Service {
public:
    Service(nexus::router::Router& router, ServiceOptions options);

    Response handle(const Request& request, const RequestContext& context);

    void set_readiness(Readiness r) { readiness_.store(r, std::memory_order_relaxed); }
    Readiness readiness() const { return readiness_.load(std::memory_order_relaxed); }
    /// The HTTP server's own counters, for /metrics (set once the server exists).
    void set_server_stats(std::function<ServerStats()> stats) { server_stats_ = std::move(stats); }

private:
    Response metrics(unsigned version) const;
    Response api(const Request& request, std::string_view path, std::string_view query);
    /// Whether a request with this Origin header may use the API, and the
    /// CORS headers it gets.
    bool origin_allowed(const Request& request, const RequestContext& context) const;
    bool authorized(const Request& request) const;
    nexus::wamp::Object status() const;

    nexus::router::Router& router_;
    const ServiceOptions options_;
    const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
    std::atomic<Readiness> readiness_{Readiness::starting};
    std::function<ServerStats()> server_stats_;
    AdminApi api_;
};

/// Whether `text` matches `pattern`, in which '*' stands for any run of characters.
bool glob_match(std::string_view pattern, std::string_view text);

} // namespace nexusd::http
