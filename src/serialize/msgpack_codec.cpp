// MessagePack for WAMP, on msgpuck (Debian libmsgpuck-dev).
//
// msgpuck's mp_check() validates the structure of a whole frame without
// recursion and without reading past its end; only after it succeeded do we
// use the unchecked mp_decode_* readers. Our own walk on top adds what the
// format does not promise: a depth limit, valid UTF-8 in strings, string map
// keys, unique keys, and no extension types (except msgpackr's undefined, read
// as nil). Payload elements are walked but not built (pass-through).
// (msgpack-cxx, Debian's other MessagePack library, cannot be installed next to
// Boost 1.81: it depends on Boost 1.74.)
#include "serialize/codec.hpp"
#include "serialize/message_writer.hpp"
#include "serialize/utf8.hpp"

#include <msgpuck.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

namespace nexus::serialize::detail {

namespace {

using wamp::Value;

constexpr std::size_t max_elements_without_payload = 7; // ERROR with args and kwargs

// Walks one element that mp_check() accepted. Build=true fills *out.
//
// mp_check() counts pending elements in an int, so a declared array/map size
// near 2^31 overflows it and it stops checking early (the fuzzer found this).
// Everything before such a header was checked; the walker meets that header
// before reading past it, and refuses sizes the remaining bytes cannot hold.
class Walker {
public:
    Walker(std::size_t max_depth, const char* end) : max_depth_(max_depth), end_(end) {}

    const std::string& error() const { return error_; }

    template <bool Build> bool element(const char*& p, std::size_t depth, Value* out) {
        switch (mp_typeof(*p)) {
        case MP_NIL:
            mp_decode_nil(&p);
            if constexpr (Build) *out = Value();
            return true;
        case MP_BOOL: {
            const bool b = mp_decode_bool(&p);
            if constexpr (Build) *out = Value(b);
            return true;
        }
        case MP_UINT: {
            const std::uint64_t u = mp_decode_uint(&p);
            if constexpr (Build) *out = Value(u);
            return true;
        }
        case MP_INT: {
            const std::int64_t i = mp_decode_int(&p);
            if constexpr (Build) *out = Value(i);
            return true;
        }
        case MP_FLOAT: {
            const double d = mp_decode_float(&p);
            if constexpr (Build) *out = Value(d);
            return true;
        }
        case MP_DOUBLE: {
            const double d = mp_decode_double(&p);
            if constexpr (Build) *out = Value(d);
            return true;
        }
        case MP_STR: {
            std::uint32_t n = 0;
            const char* s = mp_decode_str(&p, &n);
            if (!utf8_valid({s, n})) return fail("MessagePack string is not valid UTF-8");
            if constexpr (Build) *out = Value(std::string(s, n));
            return true;
        }
        case MP_BIN: {
            std::uint32_t n = 0;
            const char* b = mp_decode_bin(&p, &n);
            if constexpr (Build) *out = Value(wamp::Bytes(b, n));
            return true;
        }
        case MP_ARRAY: return array<Build>(p, depth, out);
        case MP_MAP: return map<Build>(p, depth, out);
        case MP_EXT:
            // msgpackr (wampy, ...) writes JavaScript's undefined, e.g. an option left unset,
            // as fixext 1 of type 0 holding 0: read as nil, like CBOR's undefined.
            if (p[0] == '\xd4' && p[1] == 0 && p[2] == 0) {
                p += 3;
                if constexpr (Build) *out = Value();
                return true;
            }
            return fail("MessagePack extension types are not supported");
        }
        return fail("malformed MessagePack");
    }

    bool fail(std::string message) {
        if (error_.empty()) error_ = std::move(message);
        return false;
    }

private:
    bool deeper(std::size_t depth) {
        if (depth > max_depth_)
            return fail("MessagePack nesting deeper than " + std::to_string(max_depth_) +
                        " levels");
        return true;
    }

    // Each element takes at least one byte.
    bool fits(const char* p, std::uint64_t elements) {
        if (elements > static_cast<std::uint64_t>(end_ - p))
            return fail("MessagePack container larger than the message");
        return true;
    }

    template <bool Build> bool array(const char*& p, std::size_t depth, Value* out) {
        if (!deeper(depth)) return false;
        const std::uint32_t n = mp_decode_array(&p);
        if (!fits(p, n)) return false;
        wamp::Array items;
        if constexpr (Build) items.resize(n); // fits() bounded n by the input size
        for (std::uint32_t i = 0; i < n; ++i)
            if (!element<Build>(p, depth + 1, Build ? &items[i] : nullptr)) return false;
        if constexpr (Build) *out = Value(std::move(items));
        return true;
    }

    template <bool Build> bool map(const char*& p, std::size_t depth, Value* out) {
        if (!deeper(depth)) return false;
        const std::uint32_t n = mp_decode_map(&p);
        if (!fits(p, 2 * std::uint64_t{n})) return false;
        wamp::Object object;
        std::vector<std::string_view> keys;
        if constexpr (!Build) keys.reserve(n);
        for (std::uint32_t i = 0; i < n; ++i) {
            if (mp_typeof(*p) != MP_STR) return fail("MessagePack map key is not a string");
            std::uint32_t len = 0;
            const char* k = mp_decode_str(&p, &len);
            const std::string_view key(k, len);
            if (!utf8_valid(key)) return fail("MessagePack string is not valid UTF-8");
            if constexpr (Build) {
                auto [it, inserted] = object.try_emplace(std::string(key));
                if (!inserted)
                    return fail("duplicate key \"" + std::string(key) + "\" in a MessagePack map");
                if (!element<Build>(p, depth + 1, &it->second)) return false;
            } else {
                keys.push_back(key);
                if (!element<Build>(p, depth + 1, nullptr)) return false;
            }
        }
        if constexpr (Build) {
            *out = Value(std::move(object));
        } else {
            std::sort(keys.begin(), keys.end());
            if (std::adjacent_find(keys.begin(), keys.end()) != keys.end())
                return fail("duplicate key in a MessagePack map");
        }
        return true;
    }

    std::size_t max_depth_;
    const char* end_;
    std::string error_;
};

// mp_check validates one element starting at p and stops at `end`.
bool structurally_valid(std::string_view bytes) {
    const char* p = bytes.data();
    return mp_check(&p, bytes.data() + bytes.size()) == 0 && p == bytes.data() + bytes.size();
}

// Writer for message_writer.hpp.
class MsgpackWriter {
public:
    static constexpr wamp::Format format = wamp::Format::msgpack;

    explicit MsgpackWriter(std::string& out) : out_(out) {}

    void begin_list(std::size_t n) {
        if (n > std::numeric_limits<std::uint32_t>::max())
            return fail("list too long for MessagePack");
        put(mp_encode_array(buf_, static_cast<std::uint32_t>(n)));
    }
    void end_list() {}
    void uint(std::uint64_t v) { put(mp_encode_uint(buf_, v)); }
    void string(std::string_view s) {
        if (s.size() > std::numeric_limits<std::uint32_t>::max())
            return fail("string too long for MessagePack");
        if (!utf8_valid(s)) return fail("a string is not valid UTF-8");
        put(mp_encode_strl(buf_, static_cast<std::uint32_t>(s.size())));
        out_.append(s);
    }
    void raw(std::string_view encoded) { out_.append(encoded); }
    void object(const wamp::Object& o, const RawEntry* extra = nullptr) {
        const std::size_t n = o.size() + (extra ? 1 : 0);
        if (n > std::numeric_limits<std::uint32_t>::max())
            return fail("map too large for MessagePack");
        put(mp_encode_map(buf_, static_cast<std::uint32_t>(n)));
        for (const auto& [k, v] : o) {
            string(k);
            value(v);
        }
        if (extra) {
            string(extra->key);
            raw(extra->encoded_value);
        }
    }
    void value(const Value& v) {
        switch (v.kind()) {
        case Value::Kind::null: return put(mp_encode_nil(buf_));
        case Value::Kind::boolean: return put(mp_encode_bool(buf_, v.as_bool()));
        case Value::Kind::integer: {
            const std::int64_t i = v.as_int();
            if (i >= 0) return uint(static_cast<std::uint64_t>(i));
            return put(mp_encode_int(buf_, i));
        }
        case Value::Kind::uinteger: return uint(v.as_uint());
        case Value::Kind::real: return put(mp_encode_double(buf_, v.as_double()));
        case Value::Kind::string: return string(v.as_string());
        case Value::Kind::bytes: {
            const auto& b = v.as_bytes().data;
            if (b.size() > std::numeric_limits<std::uint32_t>::max())
                return fail("binary too long for MessagePack");
            put(mp_encode_binl(buf_, static_cast<std::uint32_t>(b.size())));
            out_.append(reinterpret_cast<const char*>(b.data()), b.size());
            return;
        }
        case Value::Kind::array: {
            const wamp::Array& a = v.as_array();
            begin_list(a.size());
            for (const Value& e : a)
                value(e);
            return;
        }
        case Value::Kind::object: return object(v.as_object());
        }
    }
    void fail(std::string message) {
        if (error_.empty()) error_ = std::move(message);
    }
    Status status() const {
        if (error_.empty()) return {};
        return Failure{error_};
    }

private:
    void put(char* end) { out_.append(buf_, static_cast<std::size_t>(end - buf_)); }

    std::string& out_;
    char buf_[16];
    std::string error_;
};

} // namespace

Status msgpack_split(std::string_view frame, const DecodeLimits& limits, SplitFrame& out) {
    if (frame.empty()) return Failure{"empty MessagePack frame"};
    if (!structurally_valid(frame))
        return Failure{"malformed or truncated MessagePack (or bytes after the message)"};
    const char* p = frame.data();
    if (mp_typeof(*p) != MP_ARRAY) return Failure{"a WAMP message must be a MessagePack array"};
    if (limits.max_depth < 1) return Failure{"MessagePack nesting deeper than the limit"};
    const std::uint32_t n = mp_decode_array(&p);
    if (n == 0) return Failure{"empty message array"};
    if (n > frame.size()) return Failure{"MessagePack container larger than the message"};

    std::uint64_t code = 0;
    if (mp_typeof(*p) == MP_UINT) {
        code = mp_decode_uint(&p);
    } else if (mp_typeof(*p) == MP_INT) {
        const std::int64_t i = mp_decode_int(&p);
        if (i < 0) return Failure{"negative message type " + std::to_string(i)};
        code = static_cast<std::uint64_t>(i);
    } else {
        return Failure{"the message type must be an integer"};
    }
    if (!wamp::is_known_message_type(code))
        return Failure{"unknown message type " + std::to_string(code)};

    out.type = static_cast<wamp::MessageType>(code);
    const auto payload_at = wamp::payload_position(out.type);
    const std::size_t max_elements = payload_at ? *payload_at + 2 : max_elements_without_payload;
    if (n > max_elements)
        return Failure{std::string(wamp::message_name(out.type)) + " has too many elements"};

    Walker walker(limits.max_depth, frame.data() + frame.size());
    out.head.reserve(n - 1);
    for (std::uint32_t index = 1; index < n; ++index) {
        if (payload_at && index >= *payload_at) {
            const bool is_args = index == *payload_at;
            const mp_type t = mp_typeof(*p);
            if (t == MP_NIL) {
                // Null Arguments/ArgumentsKw read as absent.
                mp_next(&p);
                continue;
            }
            if (is_args && t != MP_ARRAY) return Failure{"Arguments must be a MessagePack array"};
            if (!is_args && t != MP_MAP) return Failure{"ArgumentsKw must be a MessagePack map"};
            const char* start = p;
            if (!walker.element<false>(p, 2, nullptr)) return Failure{walker.error()};
            (is_args ? out.args : out.kwargs) =
                std::string_view(start, static_cast<std::size_t>(p - start));
        } else {
            out.head.emplace_back();
            if (!walker.element<true>(p, 2, &out.head.back())) return Failure{walker.error()};
        }
    }
    return {};
}

Expected<wamp::Value> msgpack_decode_value(std::string_view bytes, const DecodeLimits& limits) {
    if (bytes.empty() || !structurally_valid(bytes))
        return Failure{"malformed or truncated MessagePack (or bytes after the value)"};
    Walker walker(limits.max_depth, bytes.data() + bytes.size());
    const char* p = bytes.data();
    Expected<wamp::Value> result{Value()};
    if (!walker.element<true>(p, 1, &result.value())) return Failure{walker.error()};
    return result;
}

Status msgpack_encode_message(const wamp::Message& message, std::string& out) {
    std::size_t estimate = 64;
    if (const wamp::Payload* p = wamp::payload_of(message))
        estimate += p->raw_args().size() + p->raw_kwargs().size();
    out.reserve(out.size() + estimate);
    MsgpackWriter w(out);
    write_message(w, message);
    return w.status();
}

Status msgpack_encode_welcome(const wamp::Welcome& welcome, const RawEntry& extra,
                              std::string& out) {
    MsgpackWriter w(out);
    write_welcome(w, welcome, &extra);
    return w.status();
}

Status msgpack_encode_value(const wamp::Value& value, std::string& out) {
    MsgpackWriter w(out);
    w.value(value);
    return w.status();
}

} // namespace nexus::serialize::detail
