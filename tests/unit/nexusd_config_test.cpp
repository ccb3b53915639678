#include "config.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>

using namespace nexusd;

namespace {

Config parse_ok(std::string_view text) {
    auto c = parse_config(text, "test.json");
    EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().message);
    return c.ok() ? *c : Config{};
}

std::string parse_error(std::string_view text) {
    auto c = parse_config(text, "test.json");
    EXPECT_FALSE(c.ok());
    return c.ok() ? "" : c.error().message;
}

} // namespace

TEST(NexusdConfig, ReadsTheGoNexusExample) {
    Config c = parse_ok(R"({
        "websocket": {"address": ":8080", "cert_file": "", "key_file": "",
                      "enable_compression": false, "keep_alive": 30,
                      "enable_tracking_cookie": true, "enable_request_capture": true,
                      "allow_origins": ["*.example.com"], "out_queue_size": 64},
        "rawsocket": {"tcp_address": "", "tcp_keepalive_interval": 180, "unix_address": "",
                      "max_msg_len": 0, "cert_file": "", "key_file": ""},
        "log_path": "",
        "router": {
            "realms": [{"uri": "nexus.realm1", "strict_uri": false, "allow_disclose": true,
                        "anonymous_auth": true, "enable_meta_kill": true,
                        "meta_strict": true, "meta_include_session_details": ["team"],
                        "event_history": [{"topic": "com.x", "match": "prefix", "limit": 5}]}],
            "debug": false
        }
    })");
    EXPECT_EQ(c.websocket.address, ":8080");
    EXPECT_EQ(c.websocket.keep_alive_seconds, 30u);
    EXPECT_TRUE(c.websocket.enable_tracking_cookie);
    EXPECT_EQ(c.websocket.allow_origins, std::vector<std::string>{"*.example.com"});
    EXPECT_EQ(c.websocket.out_queue_size, 64u);
    EXPECT_EQ(c.rawsocket.tcp_keepalive_seconds, 180u);
    ASSERT_EQ(c.router.realms.size(), 1u);
    const auto& realm = c.router.realms[0];
    EXPECT_EQ(realm.uri, "nexus.realm1");
    EXPECT_TRUE(realm.enable_meta_kill);
    EXPECT_TRUE(realm.meta_strict);
    EXPECT_EQ(realm.meta_include_session_details, std::vector<std::string>{"team"});
    ASSERT_EQ(realm.event_history.size(), 1u);
    EXPECT_EQ(realm.event_history[0].match, nexus::wamp::MatchPolicy::prefix);
    EXPECT_EQ(realm.event_history[0].limit, 5u);
    EXPECT_TRUE(c.unknown_keys.empty());
}

TEST(NexusdConfig, UnknownKeysAreReportedNotFatal) {
    Config c = parse_ok(R"({"websocket": {"address": "127.0.0.1:1", "colour": "blue"},
                            "extra": 1, "router": {"realms": [{"uri": "r", "x": 2}]}})");
    std::sort(c.unknown_keys.begin(), c.unknown_keys.end());
    EXPECT_EQ(c.unknown_keys,
              (std::vector<std::string>{"extra", "router.realms[0].x", "websocket.colour"}));
}

TEST(NexusdConfig, BadValuesNameTheKey) {
    EXPECT_EQ(parse_error(R"({"websocket": {"address": 8080}})"),
              "test.json: websocket.address: expected a string");
    EXPECT_EQ(parse_error(R"({"router": {"realms": [{"uri": ""}]}})"),
              "test.json: router.realms[0].uri: expected the realm's URI (a non-empty string)");
    EXPECT_EQ(parse_error(R"({"rawsocket": {"max_msg_len": -1}})"),
              "test.json: rawsocket.max_msg_len: expected a non-negative integer");
    EXPECT_NE(parse_error(R"({"router": {"realms": [{"uri": "r"}, {"uri": "r"}]}})")
                  .find("configured twice"),
              std::string::npos);
    EXPECT_NE(parse_error(R"({"router": {"overflow": "explode"}})").find("disconnect"),
              std::string::npos);
    EXPECT_NE(parse_error(R"({"router": {"realms": [{"uri": "r", "event_history":
                              [{"topic": "t", "match": "fuzzy"}]}]}})")
                  .find("\"exact\", \"prefix\" or \"wildcard\""),
              std::string::npos);
    EXPECT_NE(parse_error(R"({"websocket": {"cert_file": "a.pem"}})").find("key_file"),
              std::string::npos);
    EXPECT_NE(parse_error("{not json").find("not valid JSON"), std::string::npos);
    EXPECT_NE(parse_error("[]").find("expected an object"), std::string::npos);
}

TEST(NexusdConfig, TlsCertificateAndKeyFiles) {
    Config c = parse_ok(R"({
        "websocket": {"address": "0.0.0.0:443", "cert_file": "/etc/nexus/chain.pem",
                      "key_file": "/etc/nexus/key.pem"},
        "rawsocket": {"tcp_address": "0.0.0.0:8443", "cert_file": "raw-chain.pem",
                      "key_file": "raw-key.pem"}})");
    EXPECT_EQ(c.websocket.cert_file, "/etc/nexus/chain.pem");
    EXPECT_EQ(c.websocket.key_file, "/etc/nexus/key.pem");
    EXPECT_EQ(c.rawsocket.cert_file, "raw-chain.pem");
    EXPECT_EQ(c.rawsocket.key_file, "raw-key.pem");
    EXPECT_TRUE(c.unknown_keys.empty());
    EXPECT_EQ(parse_error(R"({"rawsocket": {"key_file": "k.pem"}})"),
              "test.json: rawsocket.cert_file: expected both cert_file and key_file, or neither");
}

TEST(NexusdConfig, RealmTemplate) {
    Config c = parse_ok(R"({"router": {"realm_template": {"strict_uri": true}}})");
    ASSERT_TRUE(c.router.realm_template.has_value());
    EXPECT_TRUE(c.router.realm_template->strict_uri);
}

TEST(NexusdConfig, DefaultsServeRealm1OnLoopback) {
    Config c = default_config();
    EXPECT_EQ(c.websocket.address, "127.0.0.1:8080");
    EXPECT_EQ(c.rawsocket.tcp_address, "127.0.0.1:8081");
    ASSERT_EQ(c.router.realms.size(), 1u);
    EXPECT_EQ(c.router.realms[0].uri, "realm1");
    EXPECT_TRUE(c.router.realms[0].anonymous_auth);
}

TEST(NexusdConfig, MissingFileIsAClearError) {
    auto c = load_config("/nonexistent/nexus.json");
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.error().message, "/nonexistent/nexus.json: cannot open the configuration file");
}

TEST(NexusdConfig, PrincipalsAndRoles) {
    Config c = parse_ok(R"({"router": {"realms": [{
        "uri": "realm1", "anonymous_auth": false, "anonymous_authrole": "guest", "auth_timeout": 5,
        "principals": [
            {"authid": "joe", "authrole": "user", "ticket": "t1"},
            {"authid": "peter", "authrole": "user", "wampcra": "s1"},
            {"authid": "salty", "authrole": "user",
             "wampcra": {"secret": "s2", "salt": "salt123", "iterations": 100, "keylen": 32}},
            {"authid": "alice", "authrole": "admin",
             "cryptosign": ["4D57d97a68f555696620a6d849c0ce582568518d729eb753dc7c732de2804510"]}],
        "roles": [
            {"name": "user", "permissions": [
                {"uri": "com.app.", "match": "prefix", "allow": {"call": true, "subscribe": true},
                 "disclose": {"caller": true}}]},
            {"name": "admin", "permissions": [
                {"uri": "", "match": "prefix",
                 "allow": {"call": true, "register": true, "publish": true, "subscribe": true}}]}]
    }]}})");
    ASSERT_EQ(c.router.realms.size(), 1u);
    const auto& r = c.router.realms[0];
    EXPECT_FALSE(r.anonymous_auth);
    EXPECT_EQ(r.anonymous_authrole, "guest");
    EXPECT_EQ(r.auth_timeout, std::chrono::seconds(5));
    ASSERT_EQ(r.principals.size(), 4u);
    EXPECT_EQ(r.principals[0].ticket, "t1");
    EXPECT_EQ(r.principals[1].wampcra->secret, "s1");
    EXPECT_FALSE(r.principals[1].wampcra->salt);
    EXPECT_EQ(r.principals[2].wampcra->salt, "salt123");
    EXPECT_EQ(r.principals[2].wampcra->iterations, 100);
    EXPECT_EQ(r.principals[3].cryptosign_keys.size(), 1u);
    ASSERT_EQ(r.roles.size(), 2u);
    const auto& p = r.roles[0].permissions.at(0);
    EXPECT_EQ(p.match, nexus::wamp::MatchPolicy::prefix);
    EXPECT_TRUE(p.call && p.subscribe && !p.publish && !p.register_ && p.disclose_caller);
}

TEST(NexusdConfig, RolesDecidedByAnAuthorizerProcedure) {
    Config c = parse_ok(R"({"router": {"realms": [{"uri": "realm1",
        "authorizer_timeout": 2, "authorizer_cache_ttl": 0,
        "roles": [{"name": "user", "authorizer": "com.example.authorize"},
                  {"name": "backend", "permissions": [{"uri": "", "match": "prefix",
                   "allow": {"register": true}}]}]}]}})");
    const auto& r = c.router.realms.at(0);
    EXPECT_EQ(r.roles.at(0).authorizer, "com.example.authorize");
    EXPECT_TRUE(r.roles.at(0).permissions.empty());
    EXPECT_TRUE(r.roles.at(1).authorizer.empty());
    EXPECT_EQ(r.authorizer_timeout, std::chrono::seconds(2));
    EXPECT_EQ(r.authorizer_cache_ttl, std::chrono::seconds(0));

    std::string e = parse_error(R"({"router": {"realms": [{"uri": "realm1", "roles": [
        {"name": "user", "authorizer": "com.x", "permissions": []}]}]}})");
    EXPECT_NE(e.find("roles[0].permissions"), std::string::npos) << e;
    e = parse_error(R"({"router": {"realms": [{"uri": "realm1", "roles": [
        {"name": "user", "authorizer": "not a uri"}]}]}})");
    EXPECT_NE(e.find("roles[0].authorizer"), std::string::npos) << e;
    e = parse_error(R"({"router": {"realms": [{"uri": "realm1", "authorizer_timeout": 0}]}})");
    EXPECT_NE(e.find("authorizer_timeout"), std::string::npos) << e;
}

TEST(NexusdConfig, HelloTimeout) {
    EXPECT_EQ(parse_ok(R"({"router": {"hello_timeout": 3}})").router.hello_timeout,
              std::chrono::seconds(3));
    EXPECT_EQ(parse_ok(R"({"router": {}})").router.hello_timeout, std::chrono::seconds(10));
    std::string e = parse_error(R"({"router": {"hello_timeout": "soon"}})");
    EXPECT_NE(e.find("hello_timeout"), std::string::npos) << e;
}

TEST(NexusdConfig, RawSocketIdleTimeout) {
    EXPECT_EQ(parse_ok(R"({"rawsocket": {"idle_timeout": 60}})").rawsocket.idle_timeout_seconds,
              60u);
    EXPECT_EQ(parse_ok(R"({"rawsocket": {}})").rawsocket.idle_timeout_seconds, 0u); // off
    EXPECT_EQ(parse_error(R"({"rawsocket": {"idle_timeout": "1m"}})"),
              "test.json: rawsocket.idle_timeout: expected a non-negative integer");
}

TEST(NexusdConfig, WriteTimeouts) {
    const auto c = parse_ok(R"({"websocket": {"write_timeout": 5},
                                "rawsocket": {"write_timeout": 0}})");
    EXPECT_EQ(c.websocket.write_timeout_seconds, 5u);
    EXPECT_EQ(c.rawsocket.write_timeout_seconds, 0u); // off
    const auto d = parse_ok(R"({"websocket": {}, "rawsocket": {}})");
    EXPECT_EQ(d.websocket.write_timeout_seconds, 30u);
    EXPECT_EQ(d.rawsocket.write_timeout_seconds, 30u);
    EXPECT_EQ(parse_error(R"({"rawsocket": {"write_timeout": -2}})"),
              "test.json: rawsocket.write_timeout: expected a non-negative integer");
}

TEST(NexusdConfig, BadCredentialsNameTheKeyNotTheSecret) {
    const auto bad = [](std::string principal) {
        return parse_error(R"({"router": {"realms": [{"uri": "realm1", "principals": [)" +
                           principal + "]}]}}");
    };
    std::string e = bad(R"({"authid": "joe", "authrole": "user"})");
    EXPECT_NE(e.find("principals[0]"), std::string::npos) << e;
    e = bad(R"({"authid": "joe", "authrole": "user", "cryptosign": ["abc-not-hex-secret"]})");
    EXPECT_NE(e.find("principals[0].cryptosign"), std::string::npos) << e;
    EXPECT_EQ(e.find("abc-not-hex-secret"), std::string::npos) << e;
    e = bad(
        R"({"authid": "joe", "authrole": "user", "wampcra": {"secret": "x", "iterations": 0}})");
    EXPECT_NE(e.find("wampcra.iterations"), std::string::npos) << e;
    e = bad(R"({"authid": "joe", "authrole": "user", "ticket": "a"},
               {"authid": "joe", "authrole": "user", "ticket": "b"})");
    EXPECT_NE(e.find("principals[1].authid"), std::string::npos) << e;
    e = parse_error(R"({"router": {"realms": [{"uri": "realm1", "roles": [
        {"name": "user", "permissions": [{"uri": "com.x", "match": "fuzzy"}]}]}]}})");
    EXPECT_NE(e.find("roles[0].permissions[0].match"), std::string::npos) << e;
}

TEST(NexusdConfig, ScramPrincipals) {
    // As nexus-scram prints them (RFC 7677's PBKDF2 credential for "pencil").
    Config c = parse_ok(R"({"router": {"realms": [{"uri": "realm1",
        "principals": [
            {"authid": "user", "authrole": "user", "scram": {
                "authmethod": "wamp-scram", "kdf": "pbkdf2", "salt": "W22ZaJ0SNY7soEsUEjb6gQ==",
                "iterations": 4096,
                "stored_key": "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=",
                "server_key": "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU="}},
            {"authid": "drafty", "authrole": "user", "scram": {
                "authmethod": "scram", "kdf": "argon2id-13", "salt": "c2NyYW0tdGVzdC1zYWx0IQ==",
                "iterations": 2, "memory": 1024,
                "stored_key": "yVDztGgeAjrDWr3/SCXelhtYxj+HvFf7fpmJvW3AKbg=",
                "server_key": "uA1NRcdg9JpKmsmAIPFy8zTZdRnU8vnpmVy8awGHORI="}}],
        "dynamic_authenticator": {"procedure": "com.auth", "methods": ["wamp-scram", "scram"]}
    }]}})");
    const auto& r = c.router.realms.at(0);
    ASSERT_TRUE(r.principals.at(0).scram);
    const auto& spec = *r.principals[0].scram;
    EXPECT_EQ(spec.dialect, nexus::router::ScramDialect::wamp_scram);
    EXPECT_EQ(spec.kdf, nexus::router::ScramKdf::pbkdf2);
    EXPECT_EQ(spec.salt, "W22ZaJ0SNY7soEsUEjb6gQ==");
    EXPECT_EQ(spec.iterations, 4096u);
    EXPECT_EQ(spec.stored_key.size(), 32u);
    EXPECT_EQ(spec.server_key.size(), 32u);
    EXPECT_EQ(spec.stored_key[0], 0x58); // "WG5d" -> 0x58 0x6e 0x5d
    const auto& draft = *r.principals.at(1).scram;
    EXPECT_EQ(draft.dialect, nexus::router::ScramDialect::crossbar);
    EXPECT_EQ(draft.kdf, nexus::router::ScramKdf::argon2id13);
    EXPECT_EQ(draft.memory, 1024u);
    EXPECT_EQ(r.dynamic_authenticator->methods, (std::vector<std::string>{"wamp-scram", "scram"}));
}

TEST(NexusdConfig, BadScramCredentialsNameTheKey) {
    const auto bad = [](std::string scram) {
        return parse_error(R"({"router": {"realms": [{"uri": "realm1", "principals": [)"
                           R"({"authid": "u", "authrole": "user", "scram": )" +
                           scram + "}]}]}}");
    };
    const std::string keys = R"("stored_key": "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=",
                                "server_key": "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=")";
    std::string e = bad(R"({"kdf": "scrypt", "salt": "W22ZaJ0SNY7soEsUEjb6gQ==",
                            "iterations": 4096, )" +
                        keys + "}");
    EXPECT_NE(e.find("principals[0].scram.kdf"), std::string::npos) << e;
    e = bad(R"({"kdf": "pbkdf2", "salt": "not base64", "iterations": 4096, )" + keys + "}");
    EXPECT_NE(e.find("principals[0].scram.salt"), std::string::npos) << e;
    e = bad(R"({"kdf": "pbkdf2", "salt": "W22ZaJ0SNY7soEsUEjb6gQ==", "iterations": 4096,
                "stored_key": "c2hvcnQ=", "server_key": "c2hvcnQ="})");
    EXPECT_NE(e.find("principals[0].scram.stored_key"), std::string::npos) << e;
    e = bad(R"({"kdf": "argon2id13", "salt": "W22ZaJ0SNY7soEsUEjb6gQ==", "iterations": 2, )" +
            keys + "}");
    EXPECT_NE(e.find("principals[0].scram.memory"), std::string::npos) << e;
    e = bad(R"({"authmethod": "scram", "kdf": "pbkdf2", "salt": "W22ZaJ0SNY7soEsUEjb6gQ==",
                "iterations": 4096, )" +
            keys + "}");
    EXPECT_NE(e.find("principals[0].scram.kdf"), std::string::npos) << e;
    e = bad(R"({"authmethod": "sasl", "kdf": "pbkdf2"})");
    EXPECT_NE(e.find("principals[0].scram.authmethod"), std::string::npos) << e;
}

TEST(NexusdConfig, AuthThrottleAndSecret) {
    const auto c = parse_ok(R"({"router": {"auth_secret": "s3cret",
        "auth_throttle": {"free_failures_per_address": 3, "free_failures_per_authid": 7,
                          "base_delay": 2, "address_lockout_max": 60, "authid_delay_max": 5,
                          "forget_after": 600}}})");
    EXPECT_EQ(c.router.auth_secret, "s3cret");
    const auto& t = c.router.auth_throttle;
    EXPECT_TRUE(t.enabled);
    EXPECT_EQ(t.free_failures_per_address, 3u);
    EXPECT_EQ(t.free_failures_per_authid, 7u);
    EXPECT_EQ(t.base_delay, std::chrono::seconds(2));
    EXPECT_EQ(t.address_lockout_max, std::chrono::seconds(60));
    EXPECT_EQ(t.authid_delay_max, std::chrono::seconds(5));
    EXPECT_EQ(t.forget_after, std::chrono::seconds(600));
    EXPECT_FALSE(parse_ok(R"({"router": {"auth_throttle": {"enabled": false}}})")
                     .router.auth_throttle.enabled);
    EXPECT_EQ(parse_error(R"({"router": {"auth_throttle": {"base_delay": 0}}})"),
              "test.json: router.auth_throttle.base_delay: expected a positive number of seconds");
    EXPECT_EQ(
        parse_error(R"({"router": {"auth_throttle": {"free_failures_per_address": 0}}})"),
        "test.json: router.auth_throttle.free_failures_per_address: expected a positive integer");
}

TEST(NexusdConfig, RealmAndRoleKnobs) {
    const auto c = parse_ok(R"({"router": {"realms": [{"uri": "realm1",
        "enable_meta_revoke": true, "progressive_results_without_canceling": true,
        "roles": [{"name": "auditor", "allow_disclose": true,
                   "permissions": [{"uri": "", "match": "prefix", "allow": {"call": true}}]}]}]}})");
    const auto& realm = c.router.realms.at(0);
    EXPECT_TRUE(realm.enable_meta_revoke);
    EXPECT_TRUE(realm.progressive_results_without_canceling);
    EXPECT_TRUE(realm.roles.at(0).allow_disclose);
    EXPECT_TRUE(c.unknown_keys.empty());
    const auto d = parse_ok(R"({"router": {"realms": [{"uri": "realm1"}]}})");
    EXPECT_FALSE(d.router.realms.at(0).enable_meta_revoke);
    EXPECT_FALSE(d.router.realms.at(0).progressive_results_without_canceling);
}

TEST(NexusdConfig, TrustLevels) {
    const auto c = parse_ok(R"({"router": {"realms": [{"uri": "realm1", "trustlevels":
        {"authrole": {"admin": 3, "user": 1}, "authmethod": {"anonymous": 0}, "default": 1}}]}})");
    const auto& t = c.router.realms.at(0).trustlevels;
    EXPECT_EQ(t.by_authrole.at("admin"), 3);
    EXPECT_EQ(t.by_authrole.at("user"), 1);
    EXPECT_EQ(t.by_authmethod.at("anonymous"), 0);
    EXPECT_EQ(t.default_level, 1);
    EXPECT_EQ(parse_error(R"({"router": {"realms": [{"uri": "realm1", "trustlevels":
        {"authrole": {"admin": "high"}}}]}})"),
              "test.json: router.realms[0].trustlevels.authrole: expected an object of name -> "
              "trust level (integer)");
}

TEST(NexusdConfig, ClusterSection) {
    EXPECT_FALSE(parse_ok("{}").cluster.has_value()); // alone, as before

    Config c = parse_ok(R"({"cluster": {"nats": "nats://127.0.0.1:4222"}})");
    ASSERT_TRUE(c.cluster.has_value());
    EXPECT_EQ(c.cluster->nats.urls, (std::vector<std::string>{"nats://127.0.0.1:4222"}));
    EXPECT_EQ(c.cluster->node.node_name, default_node_name());
    EXPECT_NE(default_node_name().find("-" + std::to_string(::getpid())), std::string::npos);
    EXPECT_EQ(c.cluster->node.prefix, "nexus");
    EXPECT_EQ(c.cluster->node.heartbeat, std::chrono::seconds(1));
    EXPECT_EQ(c.cluster->node.node_timeout, std::chrono::seconds(5));
    EXPECT_EQ(c.cluster->nats.max_reconnect, -1);
    EXPECT_TRUE(c.unknown_keys.empty());

    c = parse_ok(R"({"cluster": {
        "nats": ["tls://a.example:4222", "tls://b.example:4222"],
        "node_name": "edge-1", "prefix": "prod_eu", "heartbeat": 0.25, "node_timeout": 1.5,
        "creds_file": "/etc/nexus/nexus.creds",
        "tls": {"ca_file": "ca.pem", "cert_file": "c.pem", "key_file": "k.pem",
                "hostname": "nats.example", "verify": true},
        "reconnect_wait": 0.5, "max_reconnect": 10, "kv_replicas": 3}})");
    ASSERT_TRUE(c.cluster.has_value());
    const auto& nats = c.cluster->nats;
    EXPECT_EQ(nats.urls,
              (std::vector<std::string>{"tls://a.example:4222", "tls://b.example:4222"}));
    EXPECT_EQ(c.cluster->node.node_name, "edge-1");
    EXPECT_EQ(c.cluster->node.prefix, "prod_eu");
    EXPECT_EQ(c.cluster->node.heartbeat, std::chrono::milliseconds(250));
    EXPECT_EQ(c.cluster->node.node_timeout, std::chrono::milliseconds(1500));
    EXPECT_EQ(nats.creds_file, "/etc/nexus/nexus.creds");
    EXPECT_EQ(nats.tls.ca_file, "ca.pem");
    EXPECT_EQ(nats.tls.cert_file, "c.pem");
    EXPECT_EQ(nats.tls.key_file, "k.pem");
    EXPECT_EQ(nats.tls.hostname, "nats.example");
    EXPECT_EQ(nats.reconnect_wait, std::chrono::milliseconds(500));
    EXPECT_EQ(nats.max_reconnect, 10);
    EXPECT_EQ(nats.kv_replicas, 3);

    c = parse_ok(R"({"cluster": {"nats": "nats://n:4222", "user": "u", "password": "p"}})");
    EXPECT_EQ(c.cluster->nats.user, "u");
    EXPECT_EQ(c.cluster->nats.password, "p");
    c = parse_ok(R"({"cluster": {"nats": "nats://n:4222", "nkey_seed_file": "u.nk",
                                 "nkey": "UABC"}})");
    EXPECT_EQ(c.cluster->nats.nkey_seed_file, "u.nk");
    EXPECT_EQ(c.cluster->nats.nkey, "UABC");
}

TEST(NexusdConfig, ClusterBadValuesNameTheKey) {
    const auto error = [](std::string cluster) {
        return parse_error(R"({"cluster": )" + cluster + "}");
    };
    EXPECT_EQ(error("[]"), "test.json: cluster: expected an object");
    EXPECT_NE(error("{}").find("cluster.nats: expected the NATS server URL"), std::string::npos);
    EXPECT_NE(error(R"({"nats": []})").find("cluster.nats: expected at least one"),
              std::string::npos);
    EXPECT_NE(error(R"({"nats": "localhost:4222"})").find("cluster.nats: expected URLs"),
              std::string::npos);
    EXPECT_NE(error(R"({"nats": [4222]})").find("cluster.nats: expected a list of strings"),
              std::string::npos);
    const std::string ok = R"("nats": "nats://n:4222", )";
    EXPECT_NE(error("{" + ok + R"("node_name": "a.b"})").find("cluster.node_name: expected"),
              std::string::npos);
    EXPECT_NE(error("{" + ok + R"("node_name": ""})").find("cluster.node_name"), std::string::npos);
    EXPECT_NE(error("{" + ok + R"("prefix": "a b"})").find("cluster.prefix"), std::string::npos);
    EXPECT_NE(
        error("{" + ok + R"("heartbeat": "1s"})").find("cluster.heartbeat: expected a number"),
        std::string::npos);
    EXPECT_NE(error("{" + ok + R"("heartbeat": 0})").find("cluster.heartbeat"), std::string::npos);
    EXPECT_NE(error("{" + ok + R"("heartbeat": 2, "node_timeout": 1})")
                  .find("cluster.node_timeout: expected more seconds than heartbeat"),
              std::string::npos);
    EXPECT_NE(error("{" + ok + R"("user": "u", "token": "t"})").find("one kind of NATS"),
              std::string::npos);
    // Credentials go in their own keys, never in a URL (which is logged).
    const std::string in_url = error(R"({"nats": ["nats://n:1", "nats://u:hunter2@n:4222"]})");
    EXPECT_NE(in_url.find("cluster.nats: expected URLs without credentials"), std::string::npos)
        << in_url;
    EXPECT_EQ(in_url.find("hunter2"), std::string::npos);
    const std::string bad_url = error(R"({"nats": "u:hunter2@n:4222"})");
    EXPECT_NE(bad_url.find("cluster.nats"), std::string::npos);
    EXPECT_EQ(bad_url.find("hunter2"), std::string::npos) << bad_url;
    const std::string secret = error("{" + ok + R"("password": "hunter2"})");
    EXPECT_NE(secret.find("cluster.user"), std::string::npos);
    EXPECT_EQ(secret.find("hunter2"), std::string::npos);
    EXPECT_NE(error("{" + ok + R"("nkey_seed_file": "u.nk"})").find("cluster.nkey"),
              std::string::npos);
    EXPECT_NE(error("{" + ok + R"("tls": {"cert_file": "c.pem"}})").find("cluster.tls.key_file"),
              std::string::npos);
    EXPECT_NE(error("{" + ok + R"("tls": {"verify": "no"}})").find("cluster.tls.verify"),
              std::string::npos);
    EXPECT_NE(error("{" + ok + R"("max_reconnect": -2})").find("cluster.max_reconnect"),
              std::string::npos);
    EXPECT_NE(error("{" + ok + R"("kv_replicas": 0})").find("cluster.kv_replicas"),
              std::string::npos);
    EXPECT_NE(error("{" + ok + R"("kv_replicas": 7})").find("cluster.kv_replicas"),
              std::string::npos);

    Config c = parse_ok(R"({"cluster": {"nats": "nats://n:4222", "colour": 1,
                                        "tls": {"shade": 2}}})");
    std::sort(c.unknown_keys.begin(), c.unknown_keys.end());
    EXPECT_EQ(c.unknown_keys, (std::vector<std::string>{"cluster.colour", "cluster.tls.shade"}));
}

TEST(NexusdConfig, ConnectionCaps) {
    const auto c = parse_ok(R"({"websocket": {"address": "127.0.0.1:0", "max_connections": 1000,
                                              "max_connections_per_address": 20},
                                "rawsocket": {"tcp_address": "127.0.0.1:0",
                                              "max_connections": 500,
                                              "max_connections_per_address": 10}})");
    EXPECT_EQ(c.websocket.max_connections, 1000u);
    EXPECT_EQ(c.websocket.max_connections_per_address, 20u);
    EXPECT_EQ(c.rawsocket.max_connections, 500u);
    EXPECT_EQ(c.rawsocket.max_connections_per_address, 10u);
    EXPECT_TRUE(c.unknown_keys.empty());
    const auto d = parse_ok(R"({"websocket": {}, "rawsocket": {}})");
    EXPECT_EQ(d.websocket.max_connections, 0u); // no cap
    EXPECT_EQ(d.rawsocket.max_connections_per_address, 0u);
    EXPECT_EQ(parse_error(R"({"websocket": {"max_connections": -1}})"),
              "test.json: websocket.max_connections: expected a non-negative integer");
}

TEST(NexusdConfig, ClientCertificates) {
    const auto c = parse_ok(R"({
        "websocket": {"address": "0.0.0.0:443", "cert_file": "chain.pem", "key_file": "key.pem",
                      "client_certificates": "require", "client_ca_file": "clients.pem"},
        "rawsocket": {"tcp_address": "0.0.0.0:8443", "cert_file": "chain.pem",
                      "key_file": "key.pem", "client_certificates": "request",
                      "client_ca_file": "raw-clients.pem"}})");
    using nexus::transport::ClientCertificates;
    EXPECT_EQ(c.websocket.client_certificates, ClientCertificates::require);
    EXPECT_EQ(c.websocket.client_ca_file, "clients.pem");
    EXPECT_EQ(c.rawsocket.client_certificates, ClientCertificates::request);
    EXPECT_EQ(c.rawsocket.client_ca_file, "raw-clients.pem");
    EXPECT_TRUE(c.unknown_keys.empty());
    EXPECT_EQ(parse_ok("{}").websocket.client_certificates, ClientCertificates::none);

    const std::string tls = R"("cert_file": "c.pem", "key_file": "k.pem")";
    EXPECT_EQ(parse_error(R"({"websocket": {)" + tls + R"(, "client_certificates": "yes"}})"),
              "test.json: websocket.client_certificates: expected \"none\", \"request\" or "
              "\"require\"");
    EXPECT_EQ(parse_error(R"({"rawsocket": {)" + tls + R"(, "client_certificates": "require"}})"),
              "test.json: rawsocket.client_ca_file: expected the PEM file of the CAs that client "
              "certificates must chain to");
    EXPECT_EQ(parse_error(R"({"websocket": {"client_certificates": "request",
                                            "client_ca_file": "ca.pem"}})"),
              "test.json: websocket.client_certificates: expected \"none\" without TLS "
              "(cert_file and key_file)");
    EXPECT_NE(parse_error(R"({"websocket": {)" + tls + R"(, "client_ca_file": "ca.pem"}})")
                  .find("websocket.client_certificates"),
              std::string::npos);
}

TEST(NexusdConfig, TlsAuthentication) {
    const std::string pinned = "0F:1E:2D:3C:4B:5A:69:78:87:96:A5:B4:C3:D2:E1:F0:"
                               "0F:1E:2D:3C:4B:5A:69:78:87:96:A5:B4:C3:D2:E1:F0";
    const auto c = parse_ok(R"({"router": {"realms": [
        {"uri": "by_cn", "tls_authrole": "device",
         "dynamic_authenticator": {"procedure": "com.auth", "methods": ["tls"]}},
        {"uri": "table", "principals": [
            {"authid": "backend", "authrole": "backend", "tls": [{"sha256": ")" +
                            pinned + R"("}]},
            {"authid": "sensor", "authrole": "device",
             "tls": [{"cn": "sensor-7"}, {"cn": "sensor-8", "sha256": ")" +
                            std::string(64, 'a') + R"("}], "ticket": "t"}]}]}})");
    const auto& by_cn = c.router.realms.at(0);
    EXPECT_EQ(by_cn.tls_authrole, "device");
    EXPECT_EQ(by_cn.dynamic_authenticator->methods, (std::vector<std::string>{"tls"}));
    const auto& table = c.router.realms.at(1);
    EXPECT_TRUE(table.tls_authrole.empty());
    ASSERT_EQ(table.principals.size(), 2u);
    ASSERT_EQ(table.principals[0].tls_certificates.size(), 1u);
    EXPECT_EQ(table.principals[0].tls_certificates[0].sha256,
              "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0");
    EXPECT_TRUE(table.principals[0].tls_certificates[0].common_name.empty());
    ASSERT_EQ(table.principals[1].tls_certificates.size(), 2u);
    EXPECT_EQ(table.principals[1].tls_certificates[0].common_name, "sensor-7");
    EXPECT_EQ(table.principals[1].tls_certificates[1].common_name, "sensor-8");
    EXPECT_EQ(table.principals[1].tls_certificates[1].sha256, std::string(64, 'a'));
    EXPECT_TRUE(c.unknown_keys.empty());

    const auto realm = [](const std::string& body) {
        return parse_error(R"({"router": {"realms": [{"uri": "r", )" + body + "}]}}");
    };
    const std::string p = R"("principals": [{"authid": "a", "authrole": "r", )";
    EXPECT_EQ(realm(R"("tls_authrole": "")"),
              "test.json: router.realms[0].tls_authrole: expected the authrole of clients known "
              "by their certificate's CN (a non-empty string)");
    EXPECT_NE(realm(R"("tls_authrole": "device", )" + p + R"("tls": [{"cn": "x"}]}])")
                  .find("router.realms[0].tls_authrole: expected no value when principals"),
              std::string::npos);
    EXPECT_EQ(realm(p + R"("tls": [{"sha256": "ab:cd"}]}])"),
              "test.json: router.realms[0].principals[0].tls[0].sha256: expected a SHA-256 "
              "fingerprint: 64 hex digits, with or without ':' between bytes");
    EXPECT_EQ(realm(p + R"("tls": [{}]}])"),
              "test.json: router.realms[0].principals[0].tls[0].cn: expected the certificate's "
              "subject common name, or a sha256 fingerprint (or both)");
    EXPECT_NE(realm(p + R"("tls": {"cn": "x"}}])").find("router.realms[0].principals[0].tls:"),
              std::string::npos);
    EXPECT_NE(realm(p + R"("tls": [{"cn": "x"}]},
                    {"authid": "b", "authrole": "r", "tls": [{"cn": "x"}]}])")
                  .find("router.realms[0].principals[1].tls: expected certificates not listed "
                        "for another principal"),
              std::string::npos);
    EXPECT_NE(
        realm(R"("dynamic_authenticator": {"procedure": "p", "methods": ["tlz"]})").find("\"tls\""),
        std::string::npos);
}
