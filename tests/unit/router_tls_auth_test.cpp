// Authmethod "tls" at the router: a verified client certificate in the
// connection's TransportInfo (what the TLS listeners put there, see
// client_tls_auth_test.cpp for the handshake itself) becomes an identity by
// its common name, by a table of principals, or by a dynamic authenticator.
#include "support/fake_peer.hpp"
#include "support/router_fixture.hpp"

#include <nexus/router/auth.hpp>

#include <cctype>
#include <mutex>

namespace nexus::test {
namespace {

using wamp::Value;

const std::string backend_sha256 =
    "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
const std::string other_sha256 = "aa" + std::string(62, '1');
const std::string third_sha256 = "bb" + std::string(62, '2');

router::ClientCertificate certificate(const std::string& cn, const std::string& sha256) {
    router::ClientCertificate c;
    c.common_name = cn;
    c.subject = cn.empty() ? "O=nexus tests" : "CN=" + cn + ",O=nexus tests";
    c.issuer = "CN=test CA,O=nexus tests";
    c.sha256 = sha256;
    c.serial = "2A";
    return c;
}

router::TransportInfo tls_transport(std::optional<router::ClientCertificate> cert) {
    router::TransportInfo info{
        .type = "websocket", .protocol = "wamp.2.json", .peer = "tcp4:127.0.0.1:40000"};
    info.client_certificate = std::move(cert);
    return info;
}

router::Principal principal(std::string authid, std::string authrole,
                            std::vector<router::TlsCertificateMatch> certificates) {
    router::Principal p;
    p.authid = std::move(authid);
    p.authrole = std::move(authrole);
    p.tls_certificates = std::move(certificates);
    return p;
}

struct Log {
    std::mutex mutex;
    std::vector<std::string> lines;
};

class TlsAuth : public RouterFixture {
protected:
    TlsAuth() : TlsAuth(std::make_shared<Log>()) {}
    explicit TlsAuth(std::shared_ptr<Log> log) : RouterFixture(config(log)), log_(std::move(log)) {}

    static router::RouterConfig config(std::shared_ptr<Log> log) {
        router::RouterConfig c;
        // By common name, with a ticket principal to fall back on.
        router::RealmConfig by_cn;
        by_cn.uri = "by_cn";
        by_cn.anonymous_auth = false;
        by_cn.tls_authrole = "device";
        router::Principal joe;
        joe.authid = "joe";
        joe.authrole = "user";
        joe.ticket = "joe's ticket";
        by_cn.principals = {joe};
        // By a table: a pinned certificate, a common name, and both at once.
        router::RealmConfig table;
        table.uri = "table";
        table.anonymous_auth = false;
        table.principals = {principal("sensor", "device", {{"sensor-7", ""}}),
                            // Written in capitals with ':' as openssl prints it.
                            principal("backend", "backend",
                                      {{"", "0F:1E:2D:3C:4B:5A:69:78:87:96:A5:B4:C3:D2:E1:F0:"
                                            "0F:1E:2D:3C:4B:5A:69:78:87:96:A5:B4:C3:D2:E1:F0"}}),
                            principal("gateway", "device", {{"gateway", other_sha256}})};
        router::RealmConfig dynamic;
        dynamic.uri = "dynamic";
        dynamic.dynamic_authenticator =
            router::DynamicAuthenticatorConfig{"com.auth.tls", {"tls"}, std::chrono::seconds(3)};
        router::RealmConfig plain;
        plain.uri = "plain";
        plain.anonymous_auth = false;
        plain.principals = {joe};
        c.realms = {by_cn, table, dynamic, plain};
        c.logger = [log](router::RouterLogLevel, std::string_view line) {
            std::lock_guard lock(log->mutex);
            log->lines.emplace_back(line);
        };
        return c;
    }

    static wamp::Hello hello(const std::string& realm, std::vector<std::string> methods,
                             const std::string& authid = {}) {
        wamp::Hello h;
        h.realm = realm;
        wamp::Array m;
        for (auto& s : methods)
            m.emplace_back(s);
        h.details = {{"roles", wamp::Object{{"caller", wamp::Object{}}}},
                     {"authmethods", Value(std::move(m))}};
        if (!authid.empty()) h.details.emplace("authid", authid);
        return h;
    }

    // HELLO with `methods` from a connection with `cert`: the first answer.
    std::optional<wamp::Message> attempt(const std::string& realm,
                                         std::optional<router::ClientCertificate> cert,
                                         std::vector<std::string> methods = {"tls"},
                                         const std::string& authid = {}) {
        peers_.push_back(std::make_unique<FakePeer>(router(), tls_transport(std::move(cert))));
        peers_.back()->send(hello(realm, std::move(methods), authid));
        return peers_.back()->next();
    }

    bool logged(std::string_view text) {
        std::lock_guard lock(log_->mutex);
        for (const auto& line : log_->lines)
            if (line.find(text) != std::string::npos) return true;
        return false;
    }

    static wamp::Object welcomed(const std::optional<wamp::Message>& m) {
        if (!m || !std::holds_alternative<wamp::Welcome>(*m)) {
            ADD_FAILURE() << "no WELCOME";
            return {};
        }
        return std::get<wamp::Welcome>(*m).details;
    }
    static wamp::Abort aborted(const std::optional<wamp::Message>& m) {
        if (!m || !std::holds_alternative<wamp::Abort>(*m)) {
            ADD_FAILURE() << "no ABORT";
            return {};
        }
        return std::get<wamp::Abort>(*m);
    }

    std::shared_ptr<Log> log_;
    std::vector<std::unique_ptr<FakePeer>> peers_;
};

TEST_F(TlsAuth, TheCommonNameIsTheAuthid) {
    const auto details = welcomed(attempt("by_cn", certificate("alice", other_sha256)));
    EXPECT_EQ(details.at("authid"), Value("alice"));
    EXPECT_EQ(details.at("authrole"), Value("device"));
    EXPECT_EQ(details.at("authmethod"), Value("tls"));
    EXPECT_EQ(details.at("authprovider"), Value("static"));
    EXPECT_FALSE(details.contains("authextra"));
}

// Identities cannot be claimed (issue #20): the certificate says who this is.
TEST_F(TlsAuth, AnAuthidClaimedInHelloIsNotTaken) {
    EXPECT_EQ(
        welcomed(attempt("by_cn", certificate("alice", other_sha256), {"tls"}, "joe")).at("authid"),
        Value("alice"));
    EXPECT_EQ(welcomed(attempt("table", certificate("sensor-7", other_sha256), {"tls"}, "backend"))
                  .at("authid"),
              Value("sensor"));
}

TEST_F(TlsAuth, WithoutACertificateTheMethodIsSkipped) {
    // The next method the client offers is used.
    auto m = attempt("by_cn", std::nullopt, {"tls", "ticket"}, "joe");
    ASSERT_TRUE(m && std::holds_alternative<wamp::Challenge>(*m));
    EXPECT_EQ(std::get<wamp::Challenge>(*m).authmethod, "ticket");
    peers_.back()->send(wamp::Authenticate{"joe's ticket", {}});
    const auto details = welcomed(peers_.back()->next());
    EXPECT_EQ(details.at("authid"), Value("joe"));
    EXPECT_EQ(details.at("authmethod"), Value("ticket"));

    // None left: the ABORT says why.
    const auto abort = aborted(attempt("by_cn", std::nullopt, {"tls"}));
    EXPECT_EQ(abort.reason, wamp::errors::no_auth_method);
    EXPECT_NE(abort.details.at("message").as_string().find("client certificate"),
              std::string::npos);
}

TEST_F(TlsAuth, ARealmWithoutTlsDoesNotOfferIt) {
    EXPECT_EQ(aborted(attempt("plain", certificate("joe", other_sha256))).reason,
              wamp::errors::no_auth_method);
}

TEST_F(TlsAuth, ACertificateWithoutACommonNameIsRefused) {
    EXPECT_EQ(aborted(attempt("by_cn", certificate("", other_sha256))).reason,
              wamp::errors::authentication_failed);
    EXPECT_TRUE(logged("has no single common name"));
}

TEST_F(TlsAuth, TheTableMapsCertificatesToPrincipals) {
    auto details = welcomed(attempt("table", certificate("sensor-7", other_sha256)));
    EXPECT_EQ(details.at("authid"), Value("sensor"));
    EXPECT_EQ(details.at("authrole"), Value("device"));
    details = welcomed(attempt("table", certificate("anything", backend_sha256)));
    EXPECT_EQ(details.at("authid"), Value("backend"));
    EXPECT_EQ(details.at("authrole"), Value("backend"));
    EXPECT_EQ(details.at("authmethod"), Value("tls"));
    EXPECT_EQ(welcomed(attempt("table", certificate("gateway", other_sha256))).at("authid"),
              Value("gateway"));
}

TEST_F(TlsAuth, TheTableRefusesCertificatesItDoesNotList) {
    // Nobody's CN; the gateway's CN on another certificate (its entry pins
    // the fingerprint too); the gateway's fingerprint with another CN.
    for (const auto& cert :
         {certificate("stranger", other_sha256), certificate("gateway", third_sha256),
          certificate("gateway-2", other_sha256)}) {
        SCOPED_TRACE(cert.common_name + " " + cert.sha256);
        // A table is the whole list, even on a realm that could map a CN.
        EXPECT_EQ(aborted(attempt("table", cert)).reason, wamp::errors::authentication_failed);
    }
    EXPECT_TRUE(logged("matches no principal"));
}

// An entry pinning a fingerprint is more specific than one naming a CN that
// any certificate of the CA might carry.
TEST_F(TlsAuth, AFingerprintEntryComesBeforeACommonNameEntry) {
    EXPECT_EQ(welcomed(attempt("table", certificate("sensor-7", backend_sha256))).at("authid"),
              Value("backend"));
}

TEST_F(TlsAuth, TheDynamicAuthenticatorSeesTheCertificate) {
    TestClient& backend = joined("dynamic");
    backend.send(wamp::Register{backend.next_request(), {}, "com.auth.tls"});
    backend.expect<wamp::Registered>();

    for (const bool names_authid : {false, true}) {
        SCOPED_TRACE(names_authid);
        FakePeer peer(router(), tls_transport(certificate("alice", backend_sha256)));
        peer.send(hello("dynamic", {"tls"}, "root"));
        auto inv = backend.expect<wamp::Invocation>();
        const auto args = inv.payload.args();
        EXPECT_EQ(args.at(0), Value("dynamic"));
        EXPECT_EQ(args.at(1), Value("root")); // HELLO's claim, for the backend to weigh
        const auto& details = args.at(2).as_object();
        EXPECT_EQ(details.at("authmethod"), Value("tls"));
        EXPECT_EQ(details.at("transport").as_object().at("client_certificate"),
                  (Value{{"cn", "alice"},
                         {"subject", "CN=alice,O=nexus tests"},
                         {"issuer", "CN=test CA,O=nexus tests"},
                         {"sha256", backend_sha256},
                         {"serial", "2A"}}));
        wamp::Object answer{{"authrole", "device"}};
        if (names_authid) answer.emplace("authid", "device-17");
        backend.send(wamp::Yield{inv.request, {}, wamp::Payload(wamp::Array{Value(answer)})});
        const auto welcome = peer.expect<wamp::Welcome>();
        EXPECT_EQ(welcome.details.at("authid"), Value(names_authid ? "device-17" : "alice"));
        EXPECT_EQ(welcome.details.at("authrole"), Value("device"));
        EXPECT_EQ(welcome.details.at("authmethod"), Value("tls"));
        EXPECT_EQ(welcome.details.at("authprovider"), Value("dynamic"));
    }

    // The backend says no.
    FakePeer refused(router(), tls_transport(certificate("mallory", other_sha256)));
    refused.send(hello("dynamic", {"tls"}));
    auto inv = backend.expect<wamp::Invocation>();
    backend.send(wamp::Error{wamp::MessageType::invocation, inv.request, {}, "com.auth.no", {}});
    EXPECT_EQ(refused.expect<wamp::Abort>().reason, wamp::errors::authentication_failed);

    // No certificate: the backend is not asked, the method is skipped.
    FakePeer none(router(), tls_transport(std::nullopt));
    none.send(hello("dynamic", {"tls", "anonymous"}));
    EXPECT_EQ(none.expect<wamp::Welcome>().details.at("authmethod"), Value("anonymous"));
    EXPECT_TRUE(backend.nothing_for());
}

TEST(TlsFingerprint, NormalizedFromWhatToolsPrint) {
    EXPECT_EQ(router::normalize_sha256_fingerprint(backend_sha256), backend_sha256);
    std::string upper_colons;
    for (std::size_t i = 0; i < backend_sha256.size(); i += 2)
        upper_colons += (i ? ":" : "") + backend_sha256.substr(i, 2);
    for (char& c : upper_colons)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    EXPECT_EQ(router::normalize_sha256_fingerprint(upper_colons), backend_sha256);
    for (const std::string& bad :
         {std::string(), backend_sha256.substr(2), backend_sha256 + "00", ":" + backend_sha256,
          backend_sha256 + ":", "0:" + backend_sha256.substr(1), std::string(63, 'a') + "g",
          "0f::" + backend_sha256.substr(2)})
        EXPECT_EQ(router::normalize_sha256_fingerprint(bad), "") << bad;
}

} // namespace
} // namespace nexus::test
