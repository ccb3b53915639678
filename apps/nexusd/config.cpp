#include "config.hpp"

#include <unistd.h>

#include <cctype>
#include <chrono>
#include <climits>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>
#include <variant>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <nexus/router/auth.hpp>

namespace nexusd {

namespace json = boost::json;
using nexus::wamp::Failure;

namespace {

// Walks one JSON object, converting its members and remembering which keys
// were used so that the rest can be reported as unknown.
class Section {
public:
    Section(const json::object& object, std::string path, std::vector<std::string>& unknown)
        : object_(object), path_(std::move(path)), unknown_(unknown) {}

    ~Section() {
        for (const auto& member : object_)
            if (!used_.contains(std::string(member.key())))
                unknown_.push_back(qualified(member.key()));
    }

    const json::value* get(std::string_view key) {
        used_.insert(std::string(key));
        return object_.if_contains(key);
    }

    std::string qualified(std::string_view key) const {
        return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
    }

    void read(std::string_view key, std::string& out) {
        if (auto* v = get(key)) {
            if (!v->is_string()) fail(key, "a string");
            out = std::string(v->as_string());
        }
    }
    void read(std::string_view key, bool& out) {
        if (auto* v = get(key)) {
            if (!v->is_bool()) fail(key, "true or false");
            out = v->as_bool();
        }
    }
    template <class Unsigned>
    void read_unsigned(std::string_view key, Unsigned& out, std::uint64_t max) {
        if (auto* v = get(key)) {
            std::uint64_t n = 0;
            if (v->is_uint64())
                n = v->as_uint64();
            else if (v->is_int64() && v->as_int64() >= 0)
                n = static_cast<std::uint64_t>(v->as_int64());
            else
                fail(key, "a non-negative integer");
            if (n > max) fail(key, "an integer no larger than " + std::to_string(max));
            out = static_cast<Unsigned>(n);
        }
    }
    /// A number of seconds, fractions allowed, within [min, max].
    void read_seconds(std::string_view key, std::chrono::milliseconds& out, double min,
                      double max) {
        if (auto* v = get(key)) {
            if (!v->is_number()) fail(key, "a number of seconds");
            const double seconds = v->to_number<double>();
            if (!(seconds >= min && seconds <= max))
                fail(key, "a number of seconds from " + json::serialize(json::value(min)) + " to " +
                              json::serialize(json::value(max)));
            out = std::chrono::milliseconds(std::llround(seconds * 1000));
        }
    }
    void read(std::string_view key, std::vector<std::string>& out) {
        if (auto* v = get(key)) {
            if (!v->is_array()) fail(key, "a list of strings");
            out.clear();
            for (const json::value& e : v->as_array()) {
                if (!e.is_string()) fail(key, "a list of strings");
                out.emplace_back(e.as_string());
            }
        }
    }

    [[noreturn]] void fail(std::string_view key, const std::string& expected) const {
        throw std::invalid_argument(qualified(key) + ": expected " + expected);
    }

private:
    const json::object& object_;
    std::string path_;
    std::vector<std::string>& unknown_;
    std::set<std::string> used_;
};

// "client_certificates" and "client_ca_file" of a WAMP listener whose TLS
// is on when `tls` (cert_file given).
void read_client_certificates(Section& s, bool tls, nexus::transport::ClientCertificates& mode,
                              std::string& ca_file) {
    using nexus::transport::ClientCertificates;
    std::string text = "none";
    s.read("client_certificates", text);
    if (text == "none")
        mode = ClientCertificates::none;
    else if (text == "request")
        mode = ClientCertificates::request;
    else if (text == "require")
        mode = ClientCertificates::require;
    else
        s.fail("client_certificates", "\"none\", \"request\" or \"require\"");
    s.read("client_ca_file", ca_file);
    if (mode == ClientCertificates::none) {
        if (!ca_file.empty())
            s.fail("client_certificates",
                   "\"request\" or \"require\" with client_ca_file (or no client_ca_file)");
        return;
    }
    if (!tls) s.fail("client_certificates", "\"none\" without TLS (cert_file and key_file)");
    if (ca_file.empty())
        s.fail("client_ca_file", "the PEM file of the CAs that client certificates must chain to");
}

const json::object& as_object(const json::value* v, const std::string& path) {
    if (!v->is_object()) throw std::invalid_argument(path + ": expected an object");
    return v->as_object();
}

nexus::wamp::MatchPolicy parse_match(Section& s, std::string_view key) {
    std::string match = "exact";
    s.read(key, match);
    auto policy = nexus::wamp::parse_match_policy(match);
    if (!policy) s.fail(key, "\"exact\", \"prefix\" or \"wildcard\"");
    return *policy;
}

// Iterates a list member of `s`, giving each element's path and object.
template <class Fn>
void for_each_object(Section& s, std::string_view key, const std::string& expected,
                     std::vector<std::string>& unknown, Fn fn) {
    const json::value* list = s.get(key);
    if (!list) return;
    if (!list->is_array()) s.fail(key, expected);
    std::size_t i = 0;
    for (const json::value& item : list->as_array()) {
        const std::string item_path = s.qualified(key) + "[" + std::to_string(i++) + "]";
        Section section(as_object(&item, item_path), item_path, unknown);
        fn(section);
    }
}

bool is_hex_key(const std::string& key) {
    return key.size() == 64 && key.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos;
}

// "scram": {authmethod, kdf, salt, iterations, memory, stored_key, server_key},
// as nexus-scram prints it (router::scram_credential_to_object).
nexus::router::ScramCredential parse_scram(Section& s) {
    nexus::wamp::Object object;
    for (const char* key :
         {"authmethod", "kdf", "salt", "iterations", "memory", "stored_key", "server_key"}) {
        const json::value* v = s.get(key);
        if (!v) continue;
        // Scalars are all a credential has; anything else is refused below
        // as the wrong kind of value for its key.
        if (v->is_string())
            object.emplace(key, std::string(v->as_string()));
        else if (v->is_uint64())
            object.emplace(key, v->as_uint64());
        else if (v->is_int64() && v->as_int64() >= 0)
            object.emplace(key, static_cast<std::uint64_t>(v->as_int64()));
        else if (!v->is_null())
            object.emplace(key, nexus::wamp::Value(nexus::wamp::Array{}));
    }
    auto parsed = nexus::router::scram_credential_from_object(object);
    if (auto* problem = std::get_if<nexus::router::ScramCredentialProblem>(&parsed))
        s.fail(problem->key, problem->expected);
    return std::get<nexus::router::ScramCredential>(std::move(parsed));
}

// "principals": [{authid, authrole, ticket, wampcra, cryptosign, scram}]. Error
// messages name keys, never the secrets' values.
nexus::router::Principal parse_principal(Section& p, std::vector<std::string>& unknown) {
    nexus::router::Principal principal;
    p.read("authid", principal.authid);
    if (principal.authid.empty()) p.fail("authid", "a non-empty string");
    p.read("authrole", principal.authrole);
    if (principal.authrole.empty()) p.fail("authrole", "a non-empty string");
    if (auto* t = p.get("ticket")) {
        if (!t->is_string() || t->as_string().empty()) p.fail("ticket", "a non-empty string");
        principal.ticket = std::string(t->as_string());
    }
    if (auto* c = p.get("wampcra")) {
        nexus::router::CraSecret cra;
        if (c->is_string()) {
            cra.secret = std::string(c->as_string());
        } else if (c->is_object()) {
            const std::string cra_path = p.qualified("wampcra");
            Section w(c->as_object(), cra_path, unknown);
            w.read("secret", cra.secret);
            if (w.get("salt")) {
                std::string salt;
                w.read("salt", salt);
                if (salt.empty()) w.fail("salt", "a non-empty string");
                cra.salt = std::move(salt);
            }
            w.read_unsigned("iterations", cra.iterations, 10'000'000);
            w.read_unsigned("keylen", cra.keylen, 1024);
            if (cra.iterations < 1) w.fail("iterations", "a positive integer");
            if (cra.keylen < 1) w.fail("keylen", "a positive integer");
        } else {
            p.fail("wampcra", "a secret string or {secret, salt, iterations, keylen}");
        }
        if (cra.secret.empty()) p.fail("wampcra", "a non-empty secret");
        principal.wampcra = std::move(cra);
    }
    p.read("cryptosign", principal.cryptosign_keys);
    for (const std::string& key : principal.cryptosign_keys)
        if (!is_hex_key(key))
            p.fail("cryptosign", "a list of Ed25519 public keys, 64 hex characters each");
    if (auto* c = p.get("scram")) {
        const std::string scram_path = p.qualified("scram");
        Section sc(as_object(c, scram_path), scram_path, unknown);
        principal.scram = parse_scram(sc);
    }
    for_each_object(p, "tls", "a list of client certificates, each {cn, sha256} (one or both)",
                    unknown, [&](Section& t) {
                        nexus::router::TlsCertificateMatch match;
                        t.read("cn", match.common_name);
                        t.read("sha256", match.sha256);
                        if (!match.sha256.empty()) {
                            match.sha256 =
                                nexus::router::normalize_sha256_fingerprint(match.sha256);
                            if (match.sha256.empty())
                                t.fail("sha256", "a SHA-256 fingerprint: 64 hex digits, with or "
                                                 "without ':' between bytes");
                        }
                        if (match.common_name.empty() && match.sha256.empty())
                            t.fail("cn", "the certificate's subject common name, or a sha256 "
                                         "fingerprint (or both)");
                        principal.tls_certificates.push_back(std::move(match));
                    });
    if (!principal.ticket && !principal.wampcra && principal.cryptosign_keys.empty() &&
        !principal.scram && principal.tls_certificates.empty())
        p.fail("authid",
               "a principal with at least one of ticket, wampcra, cryptosign, scram, tls");
    return principal;
}

// "roles": [{name, permissions: [{uri, match, allow: {...}, disclose: {...}}]}]
nexus::router::RolePermissions parse_role(Section& r, std::vector<std::string>& unknown) {
    nexus::router::RolePermissions role;
    r.read("name", role.role);
    if (role.role.empty()) r.fail("name", "the authrole's name (a non-empty string)");
    r.read("authorizer", role.authorizer);
    r.read("allow_disclose", role.allow_disclose);
    if (!role.authorizer.empty()) {
        if (!nexus::wamp::is_valid_uri(role.authorizer, nexus::wamp::UriRule::loose))
            r.fail("authorizer", "the URI of the procedure that authorizes this role");
        if (r.get("permissions"))
            r.fail("permissions",
                   "nothing: a role has either \"permissions\" or an \"authorizer\"");
    }
    for_each_object(
        r, "permissions", "a list of {uri, match, allow, disclose}", unknown, [&](Section& p) {
            nexus::router::Permission perm;
            p.read("uri", perm.uri);
            perm.match = parse_match(p, "match");
            if (perm.uri.empty() && perm.match != nexus::wamp::MatchPolicy::prefix)
                p.fail("uri", "a URI (empty only with match \"prefix\")");
            if (auto* a = p.get("allow")) {
                Section allow(as_object(a, p.qualified("allow")), p.qualified("allow"), unknown);
                allow.read("call", perm.call);
                allow.read("register", perm.register_);
                allow.read("publish", perm.publish);
                allow.read("subscribe", perm.subscribe);
            }
            if (auto* d = p.get("disclose")) {
                Section disclose(as_object(d, p.qualified("disclose")), p.qualified("disclose"),
                                 unknown);
                disclose.read("caller", perm.disclose_caller);
                disclose.read("publisher", perm.disclose_publisher);
            }
            role.permissions.push_back(std::move(perm));
        });
    return role;
}

nexus::router::RealmConfig parse_realm(const json::object& o, const std::string& path,
                                       std::vector<std::string>& unknown, bool is_template) {
    Section s(o, path, unknown);
    nexus::router::RealmConfig realm;
    s.read("uri", realm.uri);
    if (!is_template) {
        if (realm.uri.empty()) s.fail("uri", "the realm's URI (a non-empty string)");
        if (!nexus::wamp::is_valid_uri(realm.uri, nexus::wamp::UriRule::loose))
            s.fail("uri", "a valid URI such as \"realm1\" or \"com.example.realm\"");
    }
    s.read("strict_uri", realm.strict_uri);
    s.read("anonymous_auth", realm.anonymous_auth);
    s.read("anonymous_authrole", realm.anonymous_authrole);
    if (realm.anonymous_authrole.empty()) s.fail("anonymous_authrole", "a non-empty string");
    s.read_unsigned("max_sessions", realm.max_sessions, 100'000'000);
    s.read_unsigned("max_pending_calls_per_session", realm.max_pending_calls_per_session,
                    100'000'000);
    s.read_unsigned("max_subscriptions_per_session", realm.max_subscriptions_per_session,
                    100'000'000);
    s.read_unsigned("max_registrations_per_session", realm.max_registrations_per_session,
                    100'000'000);
    s.read("cookie_auth", realm.cookie_auth);
    std::uint64_t cookie_max_age = 86400;
    s.read_unsigned("cookie_max_age", cookie_max_age, 366ull * 86400);
    realm.cookie_max_age = std::chrono::seconds(cookie_max_age);
    std::uint64_t auth_timeout = 20;
    s.read_unsigned("auth_timeout", auth_timeout, 3600);
    if (auth_timeout == 0) s.fail("auth_timeout", "a positive number of seconds");
    realm.auth_timeout = std::chrono::seconds(auth_timeout);
    std::uint64_t authorizer_timeout = 5;
    s.read_unsigned("authorizer_timeout", authorizer_timeout, 600);
    if (authorizer_timeout == 0) s.fail("authorizer_timeout", "a positive number of seconds");
    realm.authorizer_timeout = std::chrono::seconds(authorizer_timeout);
    std::uint64_t authorizer_cache_ttl = 300;
    s.read_unsigned("authorizer_cache_ttl", authorizer_cache_ttl, 86400);
    realm.authorizer_cache_ttl = std::chrono::seconds(authorizer_cache_ttl);
    std::set<std::string> authids;
    // A certificate must name one principal: the same entry twice would let
    // the order of the list decide.
    std::set<std::pair<std::string, std::string>> certificates;
    for_each_object(s, "principals",
                    "a list of {authid, authrole, ticket, wampcra, cryptosign, scram, tls}",
                    unknown, [&](Section& p) {
                        auto principal = parse_principal(p, unknown);
                        if (!authids.insert(principal.authid).second)
                            p.fail("authid", "an authid not used by another principal");
                        for (const auto& m : principal.tls_certificates)
                            if (!certificates.emplace(m.common_name, m.sha256).second)
                                p.fail("tls", "certificates not listed for another principal "
                                              "(or twice)");
                        realm.principals.push_back(std::move(principal));
                    });
    s.read("tls_authrole", realm.tls_authrole);
    if (s.get("tls_authrole")) {
        if (realm.tls_authrole.empty())
            s.fail("tls_authrole", "the authrole of clients known by their certificate's CN (a "
                                   "non-empty string)");
        if (!certificates.empty())
            s.fail("tls_authrole",
                   "no value when principals list \"tls\" certificates: those principals are "
                   "then the only clients the tls method admits");
    }
    if (auto* d = s.get("dynamic_authenticator")) {
        const std::string d_path = s.qualified("dynamic_authenticator");
        Section da(as_object(d, d_path), d_path, unknown);
        nexus::router::DynamicAuthenticatorConfig dyn;
        da.read("procedure", dyn.procedure);
        if (!nexus::wamp::is_valid_uri(dyn.procedure, nexus::wamp::UriRule::loose))
            da.fail("procedure", "the URI of the procedure that authenticates");
        da.read("methods", dyn.methods);
        const std::string known =
            "\"ticket\", \"wampcra\", \"cryptosign\", \"wamp-scram\", \"scram\", \"tls\"";
        if (dyn.methods.empty()) da.fail("methods", "a non-empty list of " + known);
        for (const std::string& m : dyn.methods)
            if (m != "ticket" && m != "wampcra" && m != "cryptosign" && m != "wamp-scram" &&
                m != "scram" && m != "tls")
                da.fail("methods", "a list of " + known);
        std::uint64_t timeout = 5;
        da.read_unsigned("timeout", timeout, 600);
        if (timeout == 0) da.fail("timeout", "a positive number of seconds");
        dyn.timeout = std::chrono::seconds(timeout);
        realm.dynamic_authenticator = std::move(dyn);
    }
    std::set<std::string> role_names;
    for_each_object(s, "roles", "a list of {name, permissions}", unknown, [&](Section& r) {
        auto role = parse_role(r, unknown);
        if (!role_names.insert(role.role).second)
            r.fail("name", "a role name not used by another role");
        realm.roles.push_back(std::move(role));
    });
    s.read("allow_disclose", realm.allow_disclose);
    s.read("strict_request_ids", realm.strict_request_ids);
    s.read("enable_meta_kill", realm.enable_meta_kill);
    s.read("enable_meta_modify", realm.enable_meta_modify);
    s.read("enable_meta_revoke", realm.enable_meta_revoke);
    s.read("progressive_results_without_canceling", realm.progressive_results_without_canceling);
    s.read("meta_strict", realm.meta_strict);
    s.read("meta_include_session_details", realm.meta_include_session_details);
    if (auto* t = s.get("trustlevels")) {
        const std::string t_path = s.qualified("trustlevels");
        Section levels(as_object(t, t_path), t_path, unknown);
        const auto read_levels = [&](std::string_view key, auto& out) {
            const json::value* v = levels.get(key);
            if (!v) return;
            if (!v->is_object()) levels.fail(key, "an object of name -> trust level (integer)");
            for (const auto& member : v->as_object()) {
                if (!member.value().is_int64() && !member.value().is_uint64())
                    levels.fail(key, "an object of name -> trust level (integer)");
                out.emplace(std::string(member.key()), member.value().to_number<std::int64_t>());
            }
        };
        read_levels("authrole", realm.trustlevels.by_authrole);
        read_levels("authmethod", realm.trustlevels.by_authmethod);
        if (auto* d = levels.get("default")) {
            if (!d->is_int64() && !d->is_uint64()) levels.fail("default", "an integer");
            realm.trustlevels.default_level = d->to_number<std::int64_t>();
        }
    }
    if (auto* history = s.get("event_history")) {
        if (!history->is_array()) s.fail("event_history", "a list of {topic, match, limit}");
        std::size_t i = 0;
        for (const json::value& item : history->as_array()) {
            const std::string item_path =
                s.qualified("event_history") + "[" + std::to_string(i++) + "]";
            Section h(as_object(&item, item_path), item_path, unknown);
            nexus::router::EventHistoryConfig entry;
            h.read("topic", entry.topic);
            if (entry.topic.empty()) h.fail("topic", "a topic URI");
            entry.match = parse_match(h, "match");
            h.read_unsigned("limit", entry.limit, 1'000'000);
            if (entry.limit == 0) h.fail("limit", "a positive integer");
            realm.event_history.push_back(std::move(entry));
        }
    }
    return realm;
}

// A NATS subject token: node names and the prefix end up in subjects.
bool subject_token(const std::string& s) {
    return !s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                             "0123456789_-") == std::string::npos;
}

// "cluster": {nats, node_name, prefix, heartbeat, node_timeout, credentials,
// tls, reconnect}. Error messages name keys, never the secrets' values.
ClusterSection parse_cluster(Section& c, std::vector<std::string>& unknown) {
    ClusterSection cluster;
    nexus::cluster::NatsOptions& nats = cluster.nats;
    const json::value* urls = c.get("nats");
    if (!urls) c.fail("nats", "the NATS server URL (a string) or URLs (a list)");
    if (urls->is_string()) {
        nats.urls = {std::string(urls->as_string())};
    } else {
        nats.urls.clear();
        c.read("nats", nats.urls);
    }
    if (nats.urls.empty()) c.fail("nats", "at least one NATS server URL");
    for (const std::string& url : nats.urls)
        if ((url.rfind("nats://", 0) != 0 && url.rfind("tls://", 0) != 0) ||
            url.size() <= std::string_view("tls://").size())
            c.fail("nats", "URLs of the form nats://host:port or tls://host:port, not \"" +
                               nexus::cluster::redact_url(url) + "\"");

    nexus::router::ClusterConfig& node = cluster.node;
    node.node_name = default_node_name();
    c.read("node_name", node.node_name);
    if (!subject_token(node.node_name))
        c.fail("node_name", "a name of letters, digits, '_' and '-', unique in the cluster");
    c.read("prefix", node.prefix);
    if (!subject_token(node.prefix)) c.fail("prefix", "letters, digits, '_' and '-'");
    c.read_seconds("heartbeat", node.heartbeat, 0.01, 3600);
    c.read_seconds("node_timeout", node.node_timeout, 0.01, 86400);
    if (node.node_timeout <= node.heartbeat)
        c.fail("node_timeout", "more seconds than heartbeat (a few heartbeats)");

    c.read("user", nats.user);
    c.read("password", nats.password);
    c.read("token", nats.token);
    c.read("nkey_seed_file", nats.nkey_seed_file);
    c.read("nkey", nats.nkey);
    c.read("creds_file", nats.creds_file);
    if (auto problem = nexus::cluster::nats_options_problem(nats))
        c.fail(problem->key, problem->expected);
    if (auto* tls = c.get("tls")) {
        const std::string path = c.qualified("tls");
        Section t(as_object(tls, path), path, unknown);
        t.read("ca_file", nats.tls.ca_file);
        t.read("cert_file", nats.tls.cert_file);
        t.read("key_file", nats.tls.key_file);
        t.read("hostname", nats.tls.hostname);
        t.read("verify", nats.tls.verify);
        if (nats.tls.cert_file.empty() != nats.tls.key_file.empty())
            t.fail(nats.tls.cert_file.empty() ? "cert_file" : "key_file",
                   "cert_file and key_file together (a client certificate and its key)");
    }
    c.read_seconds("reconnect_wait", nats.reconnect_wait, 0.01, 3600);
    if (auto* v = c.get("max_reconnect")) {
        if (!v->is_int64() || v->as_int64() < -1 || v->as_int64() > INT_MAX)
            c.fail("max_reconnect", "-1 (forever) or a non-negative integer");
        nats.max_reconnect = static_cast<int>(v->as_int64());
    }
    c.read_unsigned("kv_replicas", nats.kv_replicas, 5);
    if (nats.kv_replicas == 0) c.fail("kv_replicas", "1 to 5");
    return cluster;
}

Config parse(const json::value& root) {
    Config config;
    std::vector<std::string>& unknown = config.unknown_keys;
    Section top(as_object(&root, "(top level)"), "", unknown);

    if (auto* ws = top.get("websocket")) {
        Section s(as_object(ws, "websocket"), "websocket", unknown);
        WebSocketConfig& w = config.websocket;
        s.read("address", w.address);
        s.read("paths", w.paths);
        s.read("cert_file", w.cert_file);
        s.read("key_file", w.key_file);
        s.read_unsigned("keep_alive", w.keep_alive_seconds, 86400);
        s.read("enable_compression", w.enable_compression);
        s.read("enable_tracking_cookie", w.enable_tracking_cookie);
        s.read("enable_request_capture", w.enable_request_capture);
        s.read("allow_origins", w.allow_origins);
        s.read_unsigned("out_queue_size", w.out_queue_size, 10'000'000);
        s.read_unsigned("max_message_size", w.max_message_size, std::uint64_t{1} << 30);
        s.read_unsigned("handshake_timeout", w.handshake_timeout_seconds, 3600);
        s.read_unsigned("idle_timeout", w.idle_timeout_seconds, 86400);
        s.read_unsigned("write_timeout", w.write_timeout_seconds, 86400);
        s.read_unsigned("max_connections", w.max_connections, 10'000'000);
        s.read_unsigned("max_connections_per_address", w.max_connections_per_address, 10'000'000);
        if (w.cert_file.empty() != w.key_file.empty())
            s.fail(w.cert_file.empty() ? "cert_file" : "key_file",
                   "both cert_file and key_file, or neither");
        read_client_certificates(s, !w.cert_file.empty(), w.client_certificates, w.client_ca_file);
    }
    if (auto* rs = top.get("rawsocket")) {
        Section s(as_object(rs, "rawsocket"), "rawsocket", unknown);
        RawSocketConfig& r = config.rawsocket;
        s.read("tcp_address", r.tcp_address);
        s.read("unix_address", r.unix_address);
        s.read_unsigned("tcp_keepalive_interval", r.tcp_keepalive_seconds, 86400);
        s.read_unsigned("max_msg_len", r.max_msg_len, std::uint64_t{1} << 24);
        s.read("cert_file", r.cert_file);
        s.read("key_file", r.key_file);
        s.read_unsigned("out_queue_size", r.out_queue_size, 10'000'000);
        s.read_unsigned("handshake_timeout", r.handshake_timeout_seconds, 3600);
        s.read_unsigned("idle_timeout", r.idle_timeout_seconds, 86400);
        s.read_unsigned("write_timeout", r.write_timeout_seconds, 86400);
        s.read_unsigned("max_connections", r.max_connections, 10'000'000);
        s.read_unsigned("max_connections_per_address", r.max_connections_per_address, 10'000'000);
        if (r.cert_file.empty() != r.key_file.empty())
            s.fail(r.cert_file.empty() ? "cert_file" : "key_file",
                   "both cert_file and key_file, or neither");
        read_client_certificates(s, !r.cert_file.empty(), r.client_certificates, r.client_ca_file);
    }
    if (auto* http = top.get("http")) {
        Section s(as_object(http, "http"), "http", unknown);
        HttpConfig& h = config.http;
        s.read("address", h.address);
        s.read("cert_file", h.cert_file);
        s.read("key_file", h.key_file);
        s.read("admin_token", h.admin_token);
        s.read("allow_origins", h.allow_origins);
        s.read_unsigned("max_connections", h.max_connections, 100'000);
        s.read_unsigned("request_timeout", h.request_timeout_seconds, 3600);
        s.read_unsigned("max_request_size", h.max_request_size, std::uint64_t{1} << 26);
        if (h.cert_file.empty() != h.key_file.empty())
            s.fail(h.cert_file.empty() ? "cert_file" : "key_file",
                   "both cert_file and key_file, or neither");
        if (h.max_connections == 0) s.fail("max_connections", "a positive integer");
        if (h.request_timeout_seconds == 0) s.fail("request_timeout", "a positive integer");
        if (!h.admin_token.empty() && h.admin_token.size() < 16)
            s.fail("admin_token", "at least 16 characters (or empty: no admin API)");
    }
    top.read_unsigned("shutdown_grace", config.shutdown_grace_seconds, 3600);
    if (auto* format = top.get("log_format")) {
        if (!format->is_string()) top.fail("log_format", "\"text\" or \"json\"");
        if (format->as_string() == "text")
            config.log_format = LogFormat::text;
        else if (format->as_string() == "json")
            config.log_format = LogFormat::json;
        else
            top.fail("log_format", "\"text\" or \"json\"");
    }
    top.read("log_path", config.log_path);
    if (auto* level = top.get("log_level")) {
        if (!level->is_string()) top.fail("log_level", "one of error, warning, info, debug");
        const std::string_view l = level->as_string();
        if (l == "error")
            config.log_level = LogLevel::error;
        else if (l == "warning")
            config.log_level = LogLevel::warning;
        else if (l == "info")
            config.log_level = LogLevel::info;
        else if (l == "debug")
            config.log_level = LogLevel::debug;
        else
            top.fail("log_level", "one of error, warning, info, debug");
    }
    if (auto* cluster = top.get("cluster")) {
        Section c(as_object(cluster, "cluster"), "cluster", unknown);
        config.cluster = parse_cluster(c, unknown);
    }
    if (auto* router = top.get("router")) {
        Section s(as_object(router, "router"), "router", unknown);
        s.read("debug", config.debug);
        if (config.debug) config.log_level = LogLevel::debug;
        s.read_unsigned("max_sessions", config.router.max_sessions, 100'000'000);
        std::uint64_t hello_timeout = 10;
        s.read_unsigned("hello_timeout", hello_timeout, 3600);
        config.router.hello_timeout = std::chrono::seconds(hello_timeout);
        s.read_unsigned("out_queue_size", config.router.out_queue_size, 10'000'000);
        if (config.router.out_queue_size == 0) s.fail("out_queue_size", "a positive integer");
        s.read("auth_secret", config.router.auth_secret);
        if (auto* t = s.get("auth_throttle")) {
            const std::string t_path = s.qualified("auth_throttle");
            Section a(as_object(t, t_path), t_path, unknown);
            auto& throttle = config.router.auth_throttle;
            a.read("enabled", throttle.enabled);
            a.read_unsigned("free_failures_per_address", throttle.free_failures_per_address,
                            1'000'000);
            a.read_unsigned("free_failures_per_authid", throttle.free_failures_per_authid,
                            1'000'000);
            if (throttle.free_failures_per_address == 0)
                a.fail("free_failures_per_address", "a positive integer");
            if (throttle.free_failures_per_authid == 0)
                a.fail("free_failures_per_authid", "a positive integer");
            const auto seconds = [&](std::string_view key, std::chrono::milliseconds& out,
                                     std::uint64_t max) {
                std::uint64_t n = std::chrono::duration_cast<std::chrono::seconds>(out).count();
                a.read_unsigned(key, n, max);
                if (n == 0) a.fail(key, "a positive number of seconds");
                out = std::chrono::seconds(n);
            };
            seconds("base_delay", throttle.base_delay, 3600);
            seconds("address_lockout_max", throttle.address_lockout_max, 86400);
            seconds("authid_delay_max", throttle.authid_delay_max, 600);
            seconds("forget_after", throttle.forget_after, 7 * 86400);
        }
        std::string overflow = "drop_events";
        s.read("overflow", overflow);
        if (overflow == "drop_events")
            config.router.overflow = nexus::router::OverflowPolicy::drop_events;
        else if (overflow == "disconnect")
            config.router.overflow = nexus::router::OverflowPolicy::disconnect;
        else
            s.fail("overflow", "\"drop_events\" or \"disconnect\"");
        if (auto* realms = s.get("realms")) {
            if (!realms->is_array()) s.fail("realms", "a list of realm objects");
            std::size_t i = 0;
            std::set<std::string> seen;
            for (const json::value& r : realms->as_array()) {
                const std::string path = "router.realms[" + std::to_string(i++) + "]";
                auto realm = parse_realm(as_object(&r, path), path, unknown, false);
                if (!seen.insert(realm.uri).second)
                    throw std::invalid_argument(path + ".uri: realm \"" + realm.uri +
                                                "\" is configured twice");
                config.router.realms.push_back(std::move(realm));
            }
        }
        if (auto* t = s.get("realm_template"))
            if (!t->is_null())
                config.router.realm_template = parse_realm(as_object(t, "router.realm_template"),
                                                           "router.realm_template", unknown, true);
    }
    return config;
}

} // namespace

nexus::wamp::Expected<Config> parse_config(std::string_view text, const std::string& origin) {
    boost::system::error_code ec;
    json::value root = json::parse(text, ec);
    if (ec) return Failure{origin + ": not valid JSON: " + ec.message()};
    try {
        return parse(root);
    } catch (const std::invalid_argument& e) {
        return Failure{origin + ": " + e.what()};
    }
}

nexus::wamp::Expected<Config> load_config(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Failure{path + ": cannot open the configuration file"};
    std::ostringstream text;
    text << in.rdbuf();
    return parse_config(text.str(), path);
}

std::string default_node_name() {
    char host[HOST_NAME_MAX + 1] = {};
    std::string name = ::gethostname(host, sizeof host - 1) == 0 ? host : "";
    for (char& ch : name)
        if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_' && ch != '-') ch = '-';
    if (name.empty()) name = "nexusd";
    return name + "-" + std::to_string(::getpid());
}

Config default_config() {
    Config config;
    config.websocket.address = "127.0.0.1:8080";
    config.rawsocket.tcp_address = "127.0.0.1:8081";
    nexus::router::RealmConfig realm;
    realm.uri = "realm1";
    config.router.realms.push_back(realm);
    return config;
}

} // namespace nexusd
