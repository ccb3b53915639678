#include "report.hpp"

#include <cstdio>
#include <iomanip>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace wampbench {

namespace {

const char* transport_name(Target::Transport t) {
    return t == Target::Transport::websocket ? "websocket" : "rawsocket";
}

/// The roles whose sessions the command starts, with their name in the report.
std::vector<std::pair<Role, std::string>> roles_of(const std::string& command) {
    if (command == "rpc") return {{Role::caller, "caller_urls"}, {Role::callee, "callee_urls"}};
    if (command == "pubsub")
        return {{Role::publisher, "publisher_urls"}, {Role::subscriber, "subscriber_urls"}};
    return {{Role::any, "urls"}};
}

} // namespace

Report::Report(const Options& o) {
    const auto& t = o.target;
    std::string transport = transport_name(t.transport);
    for (const auto& [role, name] : roles_of(o.command))
        for (const Target& u : o.urls_for(role))
            if (u.transport != t.transport) transport = "mixed";
    config_ = {{"command", o.command},
               {"target", t.forwarder ? "forwarder" : "router"},
               {"transport", transport},
               {"serializer", std::string(nexus::wamp::format_name(t.format))},
               {"threads", std::to_string(o.threads)}};
    if (o.command == "rpc" || o.command == "pubsub")
        config_.emplace_back("payload", std::to_string(o.payload));
    if (o.command == "rpc") {
        config_.emplace_back("callers", std::to_string(o.callers));
        config_.emplace_back("callees", std::to_string(o.callees));
        config_.emplace_back("in_flight", std::to_string(o.in_flight));
    } else if (o.command == "pubsub") {
        config_.emplace_back("publishers", std::to_string(o.publishers));
        config_.emplace_back("subscribers", std::to_string(o.subscribers));
        config_.emplace_back("topics", std::to_string(o.topics));
        config_.emplace_back("in_flight", std::to_string(o.in_flight));
        if (o.stalled) config_.emplace_back("stalled_subscribers", std::to_string(o.stalled));
    } else if (o.command == "connect") {
        config_.emplace_back("concurrency", std::to_string(o.concurrency));
    } else {
        config_.emplace_back("sessions", std::to_string(o.sessions));
    }
    if (o.rate > 0) config_.emplace_back("rate", std::to_string(static_cast<long long>(o.rate)));
    // Sessions spread over several routers: each role's URLs. A run against
    // one router needs no lists, and its report keeps the keys scripts read.
    if (o.spread())
        for (const auto& [role, name] : roles_of(o.command)) {
            std::string list;
            for (const Target& u : o.urls_for(role))
                list += (list.empty() ? "" : ",") + u.url;
            config_.emplace_back(name, list);
        }
}

void Report::add(std::string name, double value, std::string unit) {
    metrics_.push_back({std::move(name), value, std::move(unit)});
}

void Report::print(std::ostream& out, bool json) const {
    if (json)
        print_json(out);
    else
        print_table(out);
}

void Report::print_table(std::ostream& out) const {
    for (std::size_t i = 0; i < config_.size(); ++i)
        out << (i ? "  " : "") << config_[i].first << "=" << config_[i].second;
    out << "\n";
    if (!error_.empty()) out << "  ERROR: " << error_ << "\n";
    for (const auto& m : metrics_) {
        char value[64];
        std::snprintf(value, sizeof value, m.value >= 100 ? "%.0f" : "%.2f", m.value);
        out << "  " << std::left << std::setw(24) << m.name << std::right << std::setw(14) << value
            << " " << m.unit << "\n";
    }
    if (latency_ && latency_->count()) {
        const auto us = [&](double q) {
            return static_cast<double>(latency_->percentile(q)) / 1000.0;
        };
        char line[256];
        std::snprintf(line, sizeof line,
                      "  latency (us)  p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f  "
                      "(%llu samples)\n",
                      us(0.5), us(0.9), us(0.99), us(0.999),
                      static_cast<double>(latency_->max()) / 1000.0,
                      static_cast<unsigned long long>(latency_->count()));
        out << line;
    }
}

void Report::print_json(std::ostream& out) const {
    boost::json::object root;
    boost::json::object config;
    for (const auto& [k, v] : config_)
        config[k] = v;
    root["config"] = std::move(config);
    boost::json::object results;
    for (const auto& m : metrics_)
        results[m.name] = m.value;
    root["results"] = std::move(results);
    if (latency_ && latency_->count()) {
        const auto us = [&](double q) {
            return static_cast<double>(latency_->percentile(q)) / 1000.0;
        };
        root["latency_us"] = {{"p50", us(0.5)},
                              {"p90", us(0.9)},
                              {"p99", us(0.99)},
                              {"p99_9", us(0.999)},
                              {"max", static_cast<double>(latency_->max()) / 1000.0},
                              {"mean", latency_->mean() / 1000.0},
                              {"samples", latency_->count()}};
    }
    if (!error_.empty()) root["error"] = error_;
    out << boost::json::serialize(root) << "\n";
}

} // namespace wampbench
