// "tls": authentication by the TLS client certificate, which happened in
// the transport's handshake; WAMP only names the method.
#include <stdexcept>

#include <nexus/client/auth.hpp>

namespace nexus::client {
namespace {

class TlsCertificate final : public Authenticator {
public:
    std::string method() const override { return "tls"; }
    wamp::Authenticate respond(const wamp::Challenge&) override {
        // A router that challenges would be asking for something this
        // method has no answer to: give up rather than send a guess.
        throw std::invalid_argument("tls: the router sent a CHALLENGE, but the certificate was "
                                    "the whole authentication");
    }
};

} // namespace

std::shared_ptr<Authenticator> tls_authenticator() { return std::make_shared<TlsCertificate>(); }

} // namespace nexus::client
