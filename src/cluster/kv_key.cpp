#include "kv_key.hpp"

namespace nexus::cluster::kv_key {

namespace {

bool plain(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '/';
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

} // namespace

bool valid_bucket(std::string_view bucket) {
    if (bucket.empty()) return false;
    for (char c : bucket)
        if (!plain(c) || c == '/') return false;
    return true;
}

std::string encode(std::string_view key) {
    static constexpr char digits[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(key.size());
    for (char c : key) {
        if (plain(c)) {
            out += c;
        } else {
            const auto byte = static_cast<unsigned char>(c);
            out += '=';
            out += digits[byte >> 4];
            out += digits[byte & 0xF];
        }
    }
    return out;
}

std::optional<std::string> decode(std::string_view token) {
    std::string out;
    out.reserve(token.size());
    for (std::size_t i = 0; i < token.size(); ++i) {
        const char c = token[i];
        if (plain(c)) {
            out += c;
            continue;
        }
        if (c != '=' || i + 2 >= token.size()) return std::nullopt;
        const int high = hex_value(token[i + 1]), low = hex_value(token[i + 2]);
        if (high < 0 || low < 0) return std::nullopt;
        const char decoded = static_cast<char>(high * 16 + low);
        if (plain(decoded)) return std::nullopt; // encode never escapes these
        out += decoded;
        i += 2;
    }
    if (out.empty()) return std::nullopt;
    return out;
}

} // namespace nexus::cluster::kv_key
