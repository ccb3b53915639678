// GET /metrics: everything nexusd counts, as Prometheus text (0.0.4).
// docs/OPERATIONS.md lists each metric with its meaning.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nexus/router/metrics.hpp>

#include "http/process_stats.hpp"
#include "http/server.hpp"

namespace nexusd::http {

struct MetricsPage {
    nexus::router::MetricsSnapshot router;
    std::optional<ProcessStats> process;
    double uptime_seconds = 0;
    bool ready = false;
    std::string_view version;
    std::string_view git_hash;
    ServerStats http;
};

std::string render_metrics(const MetricsPage& page);

} // namespace nexusd::http
