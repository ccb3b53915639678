// TLS channel bindings for WAMP-Cryptosign (advanced/authentication_cryptosign.md):
// 32 bytes that both ends of one TLS connection compute alike and that differ
// for every connection, so a signature over (challenge XOR channel id) cannot
// be relayed through another connection by a man in the middle.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

using SSL = struct ssl_st;

namespace nexus::transport {

using ChannelId = std::array<std::uint8_t, 32>;

/// "tls-unique" as autobahn computes it (the spec asks for 32 bytes, RFC 5929's
/// value is the 12-byte Finished): SHA-256 of the first Finished message of the
/// handshake, i.e. the client's on a full handshake and the server's on a
/// resumed one (the rule CPython's ssl module applies). nullopt before the
/// handshake finished, or for TLS 1.2 without the extended master secret
/// (RFC 7627), where a triple-handshake attack makes the value shareable.
std::optional<ChannelId> tls_unique_channel_id(const SSL* ssl, bool is_server);

/// "tls-exporter" (RFC 9266): 32 bytes exported with the label
/// "EXPORTER-Channel-Binding" and an empty context. Same conditions.
std::optional<ChannelId> tls_exporter_channel_id(SSL* ssl);

/// Both, by binding type name; empty when neither can be computed. What the
/// router puts in TransportInfo::channel_ids.
std::map<std::string, std::vector<std::uint8_t>> tls_channel_ids(SSL* ssl, bool is_server);

} // namespace nexus::transport
