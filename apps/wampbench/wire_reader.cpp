#include "wire_reader.hpp"

#include <charconv>

#include <msgpuck.h>

namespace wampbench {
namespace {

constexpr int max_depth = 64;

// ---- JSON: skip one value, returning the position after it (or nullptr).
const char* json_ws(const char* p, const char* end) {
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        ++p;
    return p;
}

const char* json_skip(const char* p, const char* end, int depth) {
    p = json_ws(p, end);
    if (p >= end || depth > max_depth) return nullptr;
    switch (*p) {
    case '"':
        for (++p; p < end; ++p) {
            if (*p == '\\') {
                ++p; // the escaped character (or the 'u' of \uXXXX, whose digits are plain)
            } else if (*p == '"') {
                return p + 1;
            }
        }
        return nullptr;
    case '[':
    case '{': {
        const char close = *p == '[' ? ']' : '}';
        const bool object = *p == '{';
        p = json_ws(p + 1, end);
        if (p < end && *p == close) return p + 1;
        while (p < end) {
            if (object) {
                p = json_skip(p, end, depth + 1); // key
                if (!p) return nullptr;
                p = json_ws(p, end);
                if (p >= end || *p != ':') return nullptr;
                ++p;
            }
            p = json_skip(p, end, depth + 1);
            if (!p) return nullptr;
            p = json_ws(p, end);
            if (p >= end) return nullptr;
            if (*p == close) return p + 1;
            if (*p != ',') return nullptr;
            ++p;
        }
        return nullptr;
    }
    default: // number, true, false, null
        while (p < end && *p != ',' && *p != ']' && *p != '}' && *p != ' ' && *p != '\n' &&
               *p != '\r' && *p != '\t')
            ++p;
        return p;
    }
}

bool split_json(std::string_view in, ListItems& out) {
    const char* p = json_ws(in.data(), in.data() + in.size());
    const char* end = in.data() + in.size();
    if (p >= end || *p != '[') return false;
    p = json_ws(p + 1, end);
    if (p < end && *p == ']') return true;
    while (p < end) {
        const char* item_end = json_skip(p, end, 1);
        if (!item_end) return false;
        const char* item_start = json_ws(p, end);
        if (out.count < ListItems::max_items)
            out.item[out.count] = std::string_view(item_start, item_end - item_start);
        ++out.count;
        p = json_ws(item_end, end);
        if (p >= end) return false;
        if (*p == ']') return true;
        if (*p != ',') return false;
        ++p;
    }
    return false;
}

// ---- CBOR: item heads (RFC 8949 §3).
struct Head {
    std::uint8_t major;
    std::uint8_t info;
    std::uint64_t value;
};

bool cbor_head(const char*& p, const char* end, Head& h) {
    if (p >= end) return false;
    const auto b = static_cast<std::uint8_t>(*p++);
    h.major = b >> 5;
    h.info = b & 31;
    h.value = h.info;
    if (h.info < 24 || h.info == 31) return true;
    if (h.info > 27) return false;
    const int bytes = 1 << (h.info - 24);
    if (end - p < bytes) return false;
    h.value = 0;
    for (int i = 0; i < bytes; ++i)
        h.value = (h.value << 8) | static_cast<std::uint8_t>(*p++);
    return true;
}

const char* cbor_skip(const char* p, const char* end, int depth) {
    Head h;
    if (depth > max_depth || !cbor_head(p, end, h)) return nullptr;
    const bool indefinite = h.info == 31;
    switch (h.major) {
    case 0:
    case 1: return indefinite ? nullptr : p;
    case 2:
    case 3:
        if (indefinite) { // chunks until the break byte
            while (p < end && static_cast<std::uint8_t>(*p) != 0xff)
                if (!(p = cbor_skip(p, end, depth + 1))) return nullptr;
            return p < end ? p + 1 : nullptr;
        }
        if (static_cast<std::uint64_t>(end - p) < h.value) return nullptr;
        return p + h.value;
    case 4:
    case 5: {
        const std::uint64_t per = h.major == 5 ? 2 : 1;
        if (indefinite) {
            while (p < end && static_cast<std::uint8_t>(*p) != 0xff)
                if (!(p = cbor_skip(p, end, depth + 1))) return nullptr;
            return p < end ? p + 1 : nullptr;
        }
        if (h.value > static_cast<std::uint64_t>(end - p)) return nullptr; // each item >= 1 byte
        for (std::uint64_t i = 0; i < h.value * per; ++i)
            if (!(p = cbor_skip(p, end, depth + 1))) return nullptr;
        return p;
    }
    case 6: return indefinite ? nullptr : cbor_skip(p, end, depth + 1);
    default: return indefinite ? nullptr : p; // simple values and floats: the head is all
    }
}

bool split_cbor(std::string_view in, ListItems& out) {
    const char* p = in.data();
    const char* end = p + in.size();
    Head h;
    if (!cbor_head(p, end, h) || h.major != 4) return false;
    const bool indefinite = h.info == 31;
    for (std::uint64_t i = 0; indefinite || i < h.value; ++i) {
        if (indefinite && p < end && static_cast<std::uint8_t>(*p) == 0xff) return true;
        const char* next = cbor_skip(p, end, 1);
        if (!next) return false;
        if (out.count < ListItems::max_items) out.item[out.count] = std::string_view(p, next - p);
        ++out.count;
        p = next;
    }
    return true;
}

// ---- MessagePack: msgpuck checks bounds (mp_check) before we walk.
bool split_msgpack(std::string_view in, ListItems& out) {
    const char* p = in.data();
    const char* end = p + in.size();
    const char* check = p;
    if (mp_check(&check, end) != 0) return false;
    if (mp_typeof(*p) != MP_ARRAY) return false;
    const std::uint32_t n = mp_decode_array(&p);
    for (std::uint32_t i = 0; i < n; ++i) {
        const char* start = p;
        mp_next(&p);
        if (out.count < ListItems::max_items)
            out.item[out.count] = std::string_view(start, p - start);
        ++out.count;
    }
    return true;
}

} // namespace

bool split_list(Format format, std::string_view encoded, ListItems& out) {
    out.count = 0;
    switch (format) {
    case Format::json: return split_json(encoded, out);
    case Format::msgpack: return split_msgpack(encoded, out);
    case Format::cbor: return split_cbor(encoded, out);
    }
    return false;
}

std::optional<std::uint64_t> read_uint(Format format, std::string_view encoded) {
    if (encoded.empty()) return std::nullopt;
    switch (format) {
    case Format::json: {
        std::uint64_t v = 0;
        auto res = std::from_chars(encoded.data(), encoded.data() + encoded.size(), v);
        if (res.ec != std::errc{} || res.ptr != encoded.data() + encoded.size())
            return std::nullopt;
        return v;
    }
    case Format::msgpack: {
        const char* p = encoded.data();
        if (mp_typeof(*p) != MP_UINT) return std::nullopt;
        const char* check = p;
        if (mp_check_uint(check, encoded.data() + encoded.size()) > 0) return std::nullopt;
        return mp_decode_uint(&p);
    }
    case Format::cbor: {
        const char* p = encoded.data();
        Head h;
        if (!cbor_head(p, encoded.data() + encoded.size(), h) || h.major != 0 || h.info == 31)
            return std::nullopt;
        return h.value;
    }
    }
    return std::nullopt;
}

} // namespace wampbench
