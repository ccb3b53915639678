// The production Bus (nexus/cluster/bus.hpp): a NATS server or cluster,
// through NATS's official C client (libnats). Subjects, publish/subscribe and
// request/reply are core NATS; key-value buckets are JetStream key-value
// stores (the server must run with JetStream on, e.g. `nats-server -js`).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nexus/cluster/bus.hpp>

namespace nexus::cluster {

enum class NatsLogLevel { info, warning, error };
/// Receives the bus's log lines (connected, lost, reconnected, slow consumer,
/// errors the server reports). Called from any thread; never given secrets.
using NatsLogger = std::function<void(NatsLogLevel, std::string_view)>;

struct NatsTlsOptions {
    /// Trusted certificate authorities (PEM). Empty: the system's defaults.
    std::string ca_file;
    /// A client certificate and its key (PEM), when the server asks for one.
    std::string cert_file, key_file;
    /// Check the server's certificate against the authorities (never turn
    /// this off but for a test).
    bool verify = true;
    /// The name the server's certificate must carry; empty: not checked
    /// (only its chain is).
    std::string hostname;
};

struct NatsOptions {
    /// The servers to try, `nats://host:port` or `tls://host:port` (TLS);
    /// more than one for a NATS cluster (the client learns the rest from it).
    std::vector<std::string> urls{"nats://127.0.0.1:4222"};
    /// The connection's name, as the server's monitoring shows it.
    std::string name;

    // Credentials: at most one of user/password, token, nkey seed file and
    // creds file.
    std::string user, password;
    std::string token;
    /// A user NKey seed file (`SU...`); `nkey` is its public key (`U...`).
    std::string nkey_seed_file;
    std::string nkey;
    /// A JWT credentials file (`.creds`) as `nsc` makes them.
    std::string creds_file;

    /// TLS is on when a URL says tls:// or when any file here is set.
    NatsTlsOptions tls;

    /// How long one attempt to connect to a server may take.
    std::chrono::milliseconds connect_timeout{std::chrono::seconds(2)};
    /// Pause between rounds of attempts over the server list.
    std::chrono::milliseconds reconnect_wait{std::chrono::seconds(1)};
    /// Rounds of attempts before giving up (BusState::closed); -1 = never.
    int max_reconnect = -1;
    /// Bytes of publishes kept while disconnected; publishes beyond are refused.
    std::size_t reconnect_buffer = 8 * 1024 * 1024;
    /// How long a key-value operation waits for JetStream's answer.
    std::chrono::milliseconds kv_timeout{std::chrono::seconds(5)};
    /// Copies JetStream keeps of each bucket created by this bus (1, or 3 in a
    /// NATS cluster of three or more so that a bucket survives a server).
    int kv_replicas = 1;
    /// Messages received and not yet handled (handlers too slow); beyond it
    /// new ones are dropped, counted and logged, never queued without bound.
    std::size_t max_pending_messages = 65536;

    NatsLogger logger;
};

/// Why options cannot work, naming the key at fault as nexusd's "cluster"
/// section spells it ("nats" for the URLs, "user", "nkey"), never a
/// secret's value.
struct NatsOptionsProblem {
    std::string key;
    std::string expected;
};
/// The URLs and credentials checked: at least one URL, none with
/// credentials in it (`nats://user:pass@host`: they would end up in log
/// lines; use user/password or token), one kind of credentials at most, a
/// user for a password, the public key of an nkey seed file. nullopt: fine.
std::optional<NatsOptionsProblem> nats_options_problem(const NatsOptions& options);

/// `url` with any userinfo replaced by "***" (`nats://***@host:4222`): what
/// a log line may show of a server URL.
std::string redact_url(std::string_view url);
/// The URLs redacted and joined with ", ", for a log line.
std::string describe_urls(const std::vector<std::string>& urls);

/// Connects to NATS. An unreachable server is not an error: the bus starts
/// disconnected (on_state reports it), logs failed rounds (the 1st, 2nd, 4th,
/// 8th, ...) and keeps trying (max_reconnect), with subscriptions and
/// publishes kept meanwhile. A server that refuses the bus for good (its
/// certificate fails verification, it refuses the credentials) is not
/// retried by libnats: the bus reports BusState::closed and logs why.
/// Throws std::invalid_argument for options NATS refuses (a malformed URL, a
/// file that cannot be read, what nats_options_problem finds).
std::shared_ptr<Bus> connect_nats(NatsOptions options);

} // namespace nexus::cluster
