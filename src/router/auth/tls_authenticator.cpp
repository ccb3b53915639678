// Authmethod "tls": the client is who its verified TLS client certificate
// says, by a table of principals or by the certificate's common name.
#include <cctype>
#include <memory>
#include <string>
#include <vector>

#include <nexus/router/auth.hpp>

namespace nexus::router {

std::string normalize_sha256_fingerprint(std::string_view text) {
    std::string out;
    out.reserve(64);
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        // A ':' only between two bytes, as fingerprints are printed.
        if (c == ':' && i > 0 && i + 1 < text.size() && out.size() % 2 == 0 && text[i - 1] != ':')
            continue;
        if (!std::isxdigit(static_cast<unsigned char>(c))) return {};
        out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out.size() == 64 ? out : std::string();
}

namespace {

// Where a certificate is described in the log: enough to find it, no more.
std::string describe(const ClientCertificate& cert) {
    return "certificate \"" + cert.subject + "\" (issuer \"" + cert.issuer + "\", sha256 " +
           cert.sha256 + ")";
}

struct Table {
    std::vector<Principal> principals; // those with tls_certificates
    std::string default_authrole;
};

class TlsAttempt final : public AuthAttempt {
public:
    TlsAttempt(std::shared_ptr<const Table> table, const AuthRequest& request)
        : table_(std::move(table)), certificate_(request.transport.client_certificate) {}

    void start(AuthReply reply) override { reply(decide()); }

    void respond(const std::string&, const wamp::Object&, AuthReply reply) override {
        reply(Rejection{"tls: AUTHENTICATE without a CHALLENGE"});
    }

private:
    AuthStep decide() const {
        // The router only offers this method with a certificate; an embedder
        // that calls it without one gets a refusal, not an identity.
        if (!certificate_) return Rejection{"tls: the connection has no verified certificate"};
        const ClientCertificate& cert = *certificate_;
        if (!table_->principals.empty()) {
            if (const Principal* p = find()) return identity(p->authid, p->authrole);
            return Rejection{"tls: " + describe(cert) + " matches no principal"};
        }
        if (cert.common_name.empty())
            return Rejection{"tls: " + describe(cert) + " has no single common name (CN)"};
        return identity(cert.common_name, table_->default_authrole);
    }

    // Entries naming a fingerprint first: they pin one certificate, where a
    // common name may be on several.
    const Principal* find() const {
        const ClientCertificate& cert = *certificate_;
        for (const bool pinned : {true, false})
            for (const Principal& p : table_->principals)
                for (const TlsCertificateMatch& m : p.tls_certificates) {
                    if (m.sha256.empty() == pinned) continue;
                    if (m.sha256.empty() && m.common_name.empty()) continue;
                    if (!m.sha256.empty() && normalize_sha256_fingerprint(m.sha256) != cert.sha256)
                        continue;
                    if (!m.common_name.empty() &&
                        (cert.common_name.empty() || m.common_name != cert.common_name))
                        continue;
                    return &p;
                }
        return nullptr;
    }

    static Identity identity(std::string authid, std::string authrole) {
        Identity id;
        id.authid = std::move(authid);
        id.authrole = std::move(authrole);
        id.authmethod = "tls";
        id.authprovider = "static";
        return id;
    }

    std::shared_ptr<const Table> table_;
    std::optional<ClientCertificate> certificate_;
};

class TlsAuthenticator final : public Authenticator {
public:
    explicit TlsAuthenticator(Table table)
        : table_(std::make_shared<const Table>(std::move(table))) {}
    std::string_view method() const override { return "tls"; }
    std::unique_ptr<AuthAttempt> begin(const AuthRequest& request) override {
        return std::make_unique<TlsAttempt>(table_, request);
    }

private:
    std::shared_ptr<const Table> table_;
};

} // namespace

std::shared_ptr<Authenticator> make_tls_authenticator(std::vector<Principal> principals,
                                                      std::string default_authrole) {
    std::erase_if(principals, [](const Principal& p) { return p.tls_certificates.empty(); });
    if (principals.empty() && default_authrole.empty()) return nullptr;
    return std::make_shared<TlsAuthenticator>(
        Table{std::move(principals), std::move(default_authrole)});
}

} // namespace nexus::router
