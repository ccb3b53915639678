#include "nats_options.hpp"

#include <climits>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "nats_error.hpp"

namespace nexus::cluster {

namespace {

void check(natsStatus s, const std::string& what) {
    if (s != NATS_OK) throw std::invalid_argument("NATS " + what + ": " + nats_error(s));
}

// libnats reads these files only when it connects, which with retries on
// would make a mistyped path a silent loop of failed attempts.
void readable(const std::string& file, const std::string& what) {
    if (file.empty()) return;
    if (!std::ifstream(file).is_open())
        throw std::invalid_argument("NATS " + what + ": cannot read " + file);
}

int clamp_int(std::size_t n) { return n > INT_MAX ? INT_MAX : static_cast<int>(n); }

} // namespace

NatsOptionsPtr make_nats_options(const NatsOptions& options) {
    natsOptions* raw = nullptr;
    check(natsOptions_Create(&raw), "options");
    NatsOptionsPtr opts(raw);

    if (auto problem = nats_options_problem(options))
        throw std::invalid_argument("NATS " + problem->key + ": expected " + problem->expected);
    std::vector<const char*> urls;
    bool tls = false;
    for (const std::string& url : options.urls) {
        urls.push_back(url.c_str());
        if (url.rfind("tls://", 0) == 0) tls = true;
    }
    check(natsOptions_SetServers(opts.get(), urls.data(), static_cast<int>(urls.size())),
          "servers");
    if (!options.name.empty()) check(natsOptions_SetName(opts.get(), options.name.c_str()), "name");

    readable(options.nkey_seed_file, "nkey seed file");
    readable(options.creds_file, "creds file");
    readable(options.tls.ca_file, "TLS CA file");
    readable(options.tls.cert_file, "TLS certificate");
    readable(options.tls.key_file, "TLS key");
    if (!options.user.empty())
        check(natsOptions_SetUserInfo(opts.get(), options.user.c_str(), options.password.c_str()),
              "user");
    if (!options.token.empty())
        check(natsOptions_SetToken(opts.get(), options.token.c_str()), "token");
    if (!options.nkey_seed_file.empty()) {
        check(natsOptions_SetNKeyFromSeed(opts.get(), options.nkey.c_str(),
                                          options.nkey_seed_file.c_str()),
              "nkey");
    }
    if (!options.creds_file.empty())
        check(natsOptions_SetUserCredentialsFromFiles(opts.get(), options.creds_file.c_str(),
                                                      nullptr),
              "creds file");

    const NatsTlsOptions& t = options.tls;
    if (!t.ca_file.empty() || !t.cert_file.empty() || !t.key_file.empty() || !t.hostname.empty())
        tls = true;
    if (tls) {
        check(natsOptions_SetSecure(opts.get(), true), "TLS");
        if (!t.ca_file.empty())
            check(natsOptions_LoadCATrustedCertificates(opts.get(), t.ca_file.c_str()),
                  "TLS CA file " + t.ca_file);
        if (t.cert_file.empty() != t.key_file.empty())
            throw std::invalid_argument("NATS TLS: a client certificate needs its key, and back");
        if (!t.cert_file.empty())
            check(natsOptions_LoadCertificatesChain(opts.get(), t.cert_file.c_str(),
                                                    t.key_file.c_str()),
                  "TLS certificate " + t.cert_file);
        if (!t.hostname.empty())
            check(natsOptions_SetExpectedHostname(opts.get(), t.hostname.c_str()), "TLS hostname");
        if (!t.verify) check(natsOptions_SkipServerVerification(opts.get(), true), "TLS");
    }

    check(natsOptions_SetTimeout(opts.get(), options.connect_timeout.count()), "connect timeout");
    check(natsOptions_SetReconnectWait(opts.get(), options.reconnect_wait.count()),
          "reconnect wait");
    check(natsOptions_SetMaxReconnect(opts.get(), options.max_reconnect), "max reconnect");
    check(natsOptions_SetReconnectBufSize(opts.get(), clamp_int(options.reconnect_buffer)),
          "reconnect buffer");
    // libnats's own requests (JetStream's, for key-value operations) in
    // flight when the link goes end at once rather than at their timeout.
    // The bus's requests use an inbox of its own: on_disconnected ends them.
    check(natsOptions_SetFailRequestsOnDisconnect(opts.get(), true), "options");
    // One delivery thread for every subscription (libnats's pool, one thread
    // unless someone in the process enlarges it): messages reach the bus in
    // the order the connection read them, across subscriptions too.
    check(natsOptions_UseGlobalMessageDelivery(opts.get(), true), "options");
    // Otherwise libnats's flusher thread writes what is published about a
    // millisecond later, a delay every cross-node hop pays (a call two). The
    // cluster node coalesces what it publishes at once into few messages
    // (router/cluster/outbox.hpp), so writing each at once costs few syscalls.
    check(natsOptions_SetSendAsap(opts.get(), true), "send asap");
    return opts;
}

} // namespace nexus::cluster
