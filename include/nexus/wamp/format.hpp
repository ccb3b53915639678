// The wire formats WAMP defines serializers for.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace nexus::wamp {

enum class Format : std::uint8_t { json, msgpack, cbor };

inline constexpr Format all_formats[] = {Format::json, Format::msgpack, Format::cbor};

/// "json", "msgpack", "cbor" (the suffix of the WebSocket subprotocol name).
constexpr std::string_view format_name(Format f) noexcept {
    switch (f) {
    case Format::json: return "json";
    case Format::msgpack: return "msgpack";
    case Format::cbor: return "cbor";
    }
    return "unknown";
}

/// The WebSocket subprotocol: "wamp.2.json" etc.
constexpr std::string_view websocket_subprotocol(Format f) noexcept {
    switch (f) {
    case Format::json: return "wamp.2.json";
    case Format::msgpack: return "wamp.2.msgpack";
    case Format::cbor: return "wamp.2.cbor";
    }
    return "";
}

/// Accepts "json"/"msgpack"/"cbor" and the "wamp.2.*" subprotocol names.
constexpr std::optional<Format> parse_format(std::string_view s) noexcept {
    if (s.starts_with("wamp.2.")) s.remove_prefix(7);
    if (s == "json") return Format::json;
    if (s == "msgpack") return Format::msgpack;
    if (s == "cbor") return Format::cbor;
    return std::nullopt;
}

/// The RawSocket handshake's serializer code (transport_rawsocket.md).
constexpr std::uint8_t rawsocket_serializer_code(Format f) noexcept {
    switch (f) {
    case Format::json: return 1;
    case Format::msgpack: return 2;
    case Format::cbor: return 3;
    }
    return 0;
}

constexpr std::optional<Format> format_from_rawsocket_code(std::uint8_t code) noexcept {
    switch (code) {
    case 1: return Format::json;
    case 2: return Format::msgpack;
    case 3: return Format::cbor;
    default: return std::nullopt;
    }
}

} // namespace nexus::wamp
