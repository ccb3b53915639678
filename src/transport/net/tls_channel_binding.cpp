#include "transport/net/tls_channel_binding.hpp"

#include <openssl/evp.h>
#include <openssl/ssl.h>

namespace nexus::transport {
namespace {

// A binding needs a finished handshake whose secrets no other connection can
// share: TLS 1.3 always, TLS 1.2 only with the extended master secret.
bool bindable(const SSL* ssl) {
    if (!ssl || !SSL_is_init_finished(ssl)) return false;
    if (SSL_version(ssl) >= TLS1_3_VERSION) return true;
    return SSL_get_extms_support(const_cast<SSL*>(ssl)) == 1;
}

} // namespace

std::optional<ChannelId> tls_unique_channel_id(const SSL* ssl, bool is_server) {
    if (!bindable(ssl)) return std::nullopt;
    // The first Finished of the handshake: the client's on a full handshake,
    // the server's on an abbreviated (resumed) one.
    const bool own_first = (SSL_session_reused(ssl) == 1) == is_server;
    std::uint8_t finished[EVP_MAX_MD_SIZE];
    const std::size_t length = own_first ? SSL_get_finished(ssl, finished, sizeof finished)
                                         : SSL_get_peer_finished(ssl, finished, sizeof finished);
    if (length == 0 || length > sizeof finished) return std::nullopt;
    ChannelId id{};
    unsigned int digest_length = 0;
    if (EVP_Digest(finished, length, id.data(), &digest_length, EVP_sha256(), nullptr) != 1 ||
        digest_length != id.size())
        return std::nullopt;
    return id;
}

std::optional<ChannelId> tls_exporter_channel_id(SSL* ssl) {
    if (!bindable(ssl)) return std::nullopt;
    static constexpr char label[] = "EXPORTER-Channel-Binding";
    ChannelId id{};
    // use_context = 1 with a zero-length context: RFC 9266's "empty context
    // value" (it differs from no context under TLS 1.2's RFC 5705 exporter).
    if (SSL_export_keying_material(ssl, id.data(), id.size(), label, sizeof label - 1, nullptr, 0,
                                   1) != 1)
        return std::nullopt;
    return id;
}

std::map<std::string, std::vector<std::uint8_t>> tls_channel_ids(SSL* ssl, bool is_server) {
    std::map<std::string, std::vector<std::uint8_t>> ids;
    if (auto id = tls_unique_channel_id(ssl, is_server))
        ids.emplace("tls-unique", std::vector<std::uint8_t>(id->begin(), id->end()));
    if (auto id = tls_exporter_channel_id(ssl))
        ids.emplace("tls-exporter", std::vector<std::uint8_t>(id->begin(), id->end()));
    return ids;
}

} // namespace nexus::transport
