#include "router/metrics.hpp"

#include <algorithm>

namespace nexus::router {

namespace {

// call_duration_bounds in nanoseconds, for an integer comparison per bucket.
constexpr auto bounds_ns = [] {
    std::array<std::int64_t, call_duration_bounds.size()> ns{};
    for (std::size_t i = 0; i < ns.size(); ++i)
        ns[i] = static_cast<std::int64_t>(call_duration_bounds[i] * 1e9 + 0.5);
    return ns;
}();

// The label values are few in practice (the authmethods realms offer, the
// router's own ABORT reasons); should an embedder's authenticators or a
// future reason make many, the maps stop growing at this many entries and
// count the rest under "other".
constexpr std::size_t max_label_values = 64;

void count_label(std::map<std::string, std::uint64_t, std::less<>>& counts,
                 std::string_view label) {
    auto it = counts.find(label);
    if (it == counts.end()) {
        if (counts.size() >= max_label_values) label = "other";
        it = counts.emplace(std::string(label), 0).first;
    }
    ++it->second;
}

} // namespace

RouterMetrics::~RouterMetrics() {
    for (auto& s : shards_)
        delete s.load(std::memory_order_relaxed);
}

RouterMetrics::Shard& RouterMetrics::new_shard(std::size_t slot) {
    auto* fresh = new Shard;
    Shard* expected = nullptr;
    // Only the shared slot can race here: every other slot has one thread.
    if (!shards_[slot].compare_exchange_strong(expected, fresh, std::memory_order_acq_rel)) {
        delete fresh;
        return *expected;
    }
    return *fresh;
}

void RouterMetrics::call_finished(CallOutcome outcome, Clock::time_point started) {
    const std::int64_t ns = std::max<std::int64_t>(
        0, std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - started).count());
    std::size_t bucket = 0;
    while (bucket < bounds_ns.size() && ns > bounds_ns[bucket])
        ++bucket;
    auto w = writer();
    w.add(w.shard.calls_finished[static_cast<std::size_t>(outcome)]);
    w.add(w.shard.duration_buckets[bucket]);
    w.add(w.shard.duration_sum_ns, static_cast<std::uint64_t>(ns));
}

void RouterMetrics::raise_high_water(std::size_t depth) {
    std::uint64_t seen = high_water_.load(std::memory_order_relaxed);
    while (depth > seen &&
           !high_water_.compare_exchange_weak(seen, depth, std::memory_order_relaxed)) {
    }
}

void RouterMetrics::auth_failed(std::string_view method) {
    std::lock_guard lock(rare_mutex_);
    count_label(auth_failures_, method);
}

void RouterMetrics::abort_sent(std::string_view reason) {
    std::lock_guard lock(rare_mutex_);
    count_label(aborts_, reason);
}

void RouterMetrics::connection_refused(std::string_view listener, std::string_view reason) {
    std::lock_guard lock(rare_mutex_);
    // Listeners are few (the embedder's servers); the reasons are two.
    ++connections_refused_[{std::string(listener), std::string(reason)}];
}

MetricsSnapshot RouterMetrics::snapshot() const {
    MetricsSnapshot out;
    std::uint64_t sum_ns = 0;
    constexpr auto relaxed = std::memory_order_relaxed;
    for (const auto& slot : shards_) {
        const Shard* s = slot.load(std::memory_order_acquire);
        if (!s) continue;
        for (std::size_t i = 0; i < out.messages_received.size(); ++i) {
            out.messages_received[i] += s->received[i].load(relaxed);
            out.messages_sent[i] += s->sent[i].load(relaxed);
        }
        out.events_published += s->events_published.load(relaxed);
        out.events_delivered += s->events_delivered.load(relaxed);
        out.events_dropped += s->events_dropped.load(relaxed);
        out.overflow_disconnects += s->overflow_disconnects.load(relaxed);
        out.calls_started += s->calls_started.load(relaxed);
        out.calls_refused += s->calls_refused.load(relaxed);
        for (std::size_t i = 0; i < call_outcome_count; ++i)
            out.calls_finished[i] += s->calls_finished[i].load(relaxed);
        for (std::size_t i = 0; i < out.call_duration_buckets.size(); ++i)
            out.call_duration_buckets[i] += s->duration_buckets[i].load(relaxed);
        sum_ns += s->duration_sum_ns.load(relaxed);
        for (std::size_t t = 0; t < net_transport_count; ++t) {
            out.bytes_received[t] += s->bytes_received[t].load(relaxed);
            out.bytes_sent[t] += s->bytes_sent[t].load(relaxed);
            for (std::size_t c = 0; c < transport_close_count; ++c)
                out.transport_closes[t][c] += s->transport_closes[t][c].load(relaxed);
        }
    }
    for (std::uint64_t n : out.call_duration_buckets)
        out.call_duration_count += n;
    out.call_duration_sum_seconds = static_cast<double>(sum_ns) / 1e9;
    out.queue_high_water = high_water_.load(relaxed);
    std::lock_guard lock(rare_mutex_);
    out.auth_failures.insert(auth_failures_.begin(), auth_failures_.end());
    out.aborts.insert(aborts_.begin(), aborts_.end());
    out.connections_refused = connections_refused_;
    return out;
}

// RealmStats ------------------------------------------------------------------

std::string_view serializer_of(std::string_view protocol) {
    constexpr std::string_view prefix = "wamp.2.";
    if (protocol.starts_with(prefix)) protocol.remove_prefix(prefix.size());
    if (auto dot = protocol.find('.'); dot != std::string_view::npos)
        protocol = protocol.substr(0, dot); // "msgpack.batched"
    return protocol;
}

RealmStats::Kind& RealmStats::kind(std::string_view transport, std::string_view protocol) {
    const std::string_view serializer = serializer_of(protocol);
    for (Kind& k : kinds_)
        if (k.transport == transport && k.serializer == serializer) return k;
    return kinds_.emplace_back(Kind{std::string(transport), std::string(serializer), 0});
}

void RealmStats::joined(std::string_view transport, std::string_view protocol) {
    ++opened_;
    ++kind(transport, protocol).open;
}

void RealmStats::left(std::string_view transport, std::string_view protocol, SessionEnding ending) {
    ++closed_[static_cast<std::size_t>(ending)];
    Kind& k = kind(transport, protocol);
    if (k.open > 0) --k.open;
}

void RealmStats::read(RealmMetrics& out) const {
    out.sessions_opened = opened_;
    out.sessions_closed = closed_;
    for (const Kind& k : kinds_)
        out.sessions_open[{k.transport, k.serializer}] = k.open;
}

} // namespace nexus::router
