#include "http/metrics_page.hpp"

#include <iterator>
#include <limits>

#include <nexus/wamp/message.hpp>

#include "http/prometheus.hpp"

namespace nexusd::http {

namespace {

using nexus::router::MetricsSnapshot;

constexpr std::string_view outcome_names[] = {"completed", "error", "canceled", "timeout"};
constexpr std::string_view ending_names[] = {"goodbye", "lost", "killed"};
constexpr std::string_view transport_names[] = {"websocket", "rawsocket"};
constexpr std::string_view close_names[] = {"write_timeout", "idle_timeout", "handshake_timeout"};
static_assert(std::size(transport_names) == nexus::router::net_transport_count);
static_assert(std::size(close_names) == nexus::router::transport_close_count);

void messages(PrometheusText& p, const MetricsSnapshot& m) {
    p.family("nexus_messages_received_total", "counter",
             "WAMP messages received from peers, by message type.");
    for (std::size_t code = 1; code < m.messages_received.size(); ++code)
        if (nexus::wamp::is_known_message_type(code))
            p.sample(
                "nexus_messages_received_total",
                {{"type", nexus::wamp::message_name(static_cast<nexus::wamp::MessageType>(code))}},
                m.messages_received[code]);
    p.family("nexus_messages_sent_total", "counter",
             "WAMP messages handed to peers' transports, by message type.");
    for (std::size_t code = 1; code < m.messages_sent.size(); ++code)
        if (nexus::wamp::is_known_message_type(code))
            p.sample(
                "nexus_messages_sent_total",
                {{"type", nexus::wamp::message_name(static_cast<nexus::wamp::MessageType>(code))}},
                m.messages_sent[code]);
}

void sessions(PrometheusText& p, const MetricsSnapshot& m) {
    p.family("nexus_sessions_open", "gauge",
             "Joined sessions, by realm, transport and serializer.");
    for (const auto& realm : m.realms)
        for (const auto& [kind, n] : realm.sessions_open)
            p.sample("nexus_sessions_open",
                     {{"realm", realm.uri}, {"transport", kind.first}, {"serializer", kind.second}},
                     n);
    p.family("nexus_sessions_opened_total", "counter", "Sessions that joined, by realm.");
    for (const auto& realm : m.realms)
        p.sample("nexus_sessions_opened_total", {{"realm", realm.uri}}, realm.sessions_opened);
    p.family("nexus_sessions_closed_total", "counter",
             "Sessions that left, by realm and how they ended (goodbye: the client said "
             "GOODBYE; lost: transport lost, ABORT or protocol violation; killed: by the "
             "router).");
    for (const auto& realm : m.realms)
        for (std::size_t i = 0; i < realm.sessions_closed.size(); ++i)
            p.sample("nexus_sessions_closed_total",
                     {{"realm", realm.uri}, {"ending", ending_names[i]}}, realm.sessions_closed[i]);
    p.family("nexus_auth_failures_total", "counter",
             "Failed authentications (rejected, failed or timed out), by authmethod.");
    for (const auto& [method, n] : m.auth_failures)
        p.sample("nexus_auth_failures_total", {{"method", method}}, n);
    p.family("nexus_aborts_total", "counter", "ABORT messages the router sent, by reason.");
    for (const auto& [reason, n] : m.aborts)
        p.sample("nexus_aborts_total", {{"reason", reason}}, n);
    p.family("nexus_connections_refused_total", "counter",
             "WebSocket and RawSocket connections closed at accept because a cap was reached, by "
             "listener and reason (max_connections, max_connections_per_address).");
    for (const auto& [key, n] : m.connections_refused)
        p.sample("nexus_connections_refused_total",
                 {{"listener", key.first}, {"reason", key.second}}, n);
}

void transports(PrometheusText& p, const MetricsSnapshot& m) {
    const auto by_transport = [&p](const char* name, const char* help, const auto& counts) {
        p.family(name, "counter", help);
        for (std::size_t t = 0; t < counts.size(); ++t)
            p.sample(name, {{"transport", transport_names[t]}}, counts[t]);
    };
    by_transport("nexus_transport_received_bytes_total",
                 "Bytes read from WebSocket and RawSocket connections: the transport's own bytes "
                 "(handshakes, frames; compressed where permessage-deflate is on), not TLS "
                 "records.",
                 m.bytes_received);
    by_transport("nexus_transport_sent_bytes_total",
                 "Bytes written to WebSocket and RawSocket connections, counted as the received "
                 "ones.",
                 m.bytes_sent);
    p.family("nexus_transport_closes_total", "counter",
             "Connections a transport closed on its own, by transport and reason "
             "(write_timeout: the peer took no data for the write timeout; idle_timeout: it sent "
             "nothing, not even a pong, for the idle timeout; handshake_timeout: its TLS, "
             "upgrade or RawSocket handshake took too long).");
    for (std::size_t t = 0; t < m.transport_closes.size(); ++t)
        for (std::size_t c = 0; c < m.transport_closes[t].size(); ++c)
            p.sample("nexus_transport_closes_total",
                     {{"transport", transport_names[t]}, {"reason", close_names[c]}},
                     m.transport_closes[t][c]);
}

void routing(PrometheusText& p, const MetricsSnapshot& m) {
    p.family("nexus_events_published_total", "counter",
             "Publications the broker accepted and routed.");
    p.sample("nexus_events_published_total", {}, m.events_published);
    p.family("nexus_events_delivered_total", "counter", "EVENTs queued to subscribers.");
    p.sample("nexus_events_delivered_total", {}, m.events_delivered);

    p.family("nexus_calls_started_total", "counter", "CALLs routed to a callee.");
    p.sample("nexus_calls_started_total", {}, m.calls_started);
    p.family("nexus_calls_refused_total", "counter",
             "CALLs the router answered with an ERROR before any callee saw them (no such "
             "procedure, invalid URI, limits, options).");
    p.sample("nexus_calls_refused_total", {}, m.calls_refused);
    p.family("nexus_calls_finished_total", "counter",
             "Calls that ended after reaching a callee, by outcome (completed: final RESULT; "
             "error: ERROR from the callee; canceled: CANCEL, caller or callee gone, shutdown; "
             "timeout: the call's timeout expired).");
    for (std::size_t i = 0; i < m.calls_finished.size(); ++i)
        p.sample("nexus_calls_finished_total", {{"outcome", outcome_names[i]}},
                 m.calls_finished[i]);

    p.family("nexus_call_duration_seconds", "histogram",
             "Time from a CALL routed to a callee to its final RESULT or ERROR, as the router "
             "sees it.");
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < m.call_duration_buckets.size(); ++i) {
        cumulative += m.call_duration_buckets[i];
        const double bound = i < nexus::router::call_duration_bounds.size()
                                 ? nexus::router::call_duration_bounds[i]
                                 : std::numeric_limits<double>::infinity();
        p.sample_raw("nexus_call_duration_seconds_bucket",
                     PrometheusText::label("le", PrometheusText::number(bound)),
                     std::to_string(cumulative));
    }
    p.sample("nexus_call_duration_seconds_sum", {}, m.call_duration_sum_seconds);
    p.sample("nexus_call_duration_seconds_count", {}, m.call_duration_count);

    p.family("nexus_events_dropped_total", "counter",
             "EVENTs dropped because a subscriber's outbound queue was full (overflow policy "
             "drop_events).");
    p.sample("nexus_events_dropped_total", {}, m.events_dropped);
    p.family("nexus_overflow_disconnects_total", "counter",
             "Connections closed because their outbound queue overflowed.");
    p.sample("nexus_overflow_disconnects_total", {}, m.overflow_disconnects);
    p.family("nexus_outbound_queue_high_water_messages", "gauge",
             "The deepest any peer's outbound queue has been since the router started.");
    p.sample("nexus_outbound_queue_high_water_messages", {}, m.queue_high_water);

    if (m.cluster) {
        p.family("nexus_cluster_connected", "gauge",
                 "1 while this node is connected to the cluster's bus (NATS), else 0.");
        p.sample("nexus_cluster_connected", {}, std::uint64_t{m.cluster->connected ? 1u : 0u});
        p.family("nexus_cluster_peers", "gauge",
                 "Other live nodes of the cluster this node knows.");
        p.sample("nexus_cluster_peers", {}, m.cluster->peers);
        p.family("nexus_cluster_dropped_total", "counter",
                 "Messages to other nodes not sent: events dropped because the bus did not keep "
                 "up, and messages the bus refused while disconnected.");
        p.sample("nexus_cluster_dropped_total", {}, m.cluster->dropped);
    }

    p.family("nexus_registrations", "gauge", "Registrations, by realm.");
    for (const auto& realm : m.realms)
        p.sample("nexus_registrations", {{"realm", realm.uri}}, realm.registrations);
    p.family("nexus_subscriptions", "gauge", "Subscriptions, by realm.");
    for (const auto& realm : m.realms)
        p.sample("nexus_subscriptions", {{"realm", realm.uri}}, realm.subscriptions);
}

void process(PrometheusText& p, const MetricsPage& page) {
    if (const auto& s = page.process) {
        p.family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
        p.sample("process_resident_memory_bytes", {}, s->resident_bytes);
        p.family("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.");
        p.sample("process_virtual_memory_bytes", {}, s->virtual_bytes);
        p.family("process_open_fds", "gauge", "Open file descriptors.");
        p.sample("process_open_fds", {}, s->open_fds);
        p.family("process_max_fds", "gauge", "The limit on open file descriptors.");
        p.sample("process_max_fds", {}, s->max_fds);
        p.family("process_threads", "gauge", "Threads of the process.");
        p.sample("process_threads", {}, s->threads);
        p.family("process_cpu_seconds_total", "counter", "User and system CPU time in seconds.");
        p.sample("process_cpu_seconds_total", {}, s->cpu_seconds);
        p.family("process_start_time_seconds", "gauge",
                 "Start time of the process since the Unix epoch in seconds.");
        p.sample("process_start_time_seconds", {}, s->start_time_seconds);
    }
    p.family("nexus_uptime_seconds", "gauge", "Seconds since nexusd started.");
    p.sample("nexus_uptime_seconds", {}, page.uptime_seconds);
    p.family("nexus_build_info", "gauge", "Always 1; the labels name the build.");
    p.sample("nexus_build_info", {{"version", page.version}, {"git_hash", page.git_hash}},
             std::uint64_t{1});
    p.family("nexus_ready", "gauge",
             "1 while every listener is open and nexusd is not draining (GET /readyz is 200).");
    p.sample("nexus_ready", {}, std::uint64_t{page.ready ? 1u : 0u});
}

void http(PrometheusText& p, const ServerStats& s) {
    p.family("nexus_http_connections_open", "gauge", "Open connections to the HTTP listener.");
    p.sample("nexus_http_connections_open", {}, s.connections_open);
    p.family("nexus_http_connections_refused_total", "counter",
             "HTTP connections closed at once because http.max_connections were open.");
    p.sample("nexus_http_connections_refused_total", {}, s.connections_refused);
    p.family("nexus_http_requests_total", "counter", "HTTP requests received.");
    p.sample("nexus_http_requests_total", {}, s.requests);
}

} // namespace

std::string render_metrics(const MetricsPage& page) {
    PrometheusText p;
    sessions(p, page.router);
    messages(p, page.router);
    routing(p, page.router);
    transports(p, page.router);
    http(p, page.http);
    process(p, page);
    return p.take();
}

} // namespace nexusd::http
