#include "serialize/json_writer.hpp"

#include "serialize/base64.hpp"
#include "serialize/utf8.hpp"

#include <charconv>
#include <cmath>
#include <cstring>

namespace nexus::serialize::detail {

void JsonWriter::begin_list(std::size_t) {
    separate();
    out_ += '[';
    need_comma_ = false;
}

void JsonWriter::end_list() {
    out_ += ']';
    need_comma_ = true;
}

void JsonWriter::uint(std::uint64_t u) {
    separate();
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, u);
    out_.append(buf, r.ptr);
}

void JsonWriter::string(std::string_view s) {
    separate();
    write_string(s);
}

void JsonWriter::object(const wamp::Object& o, const RawEntry* extra) {
    separate();
    write_object(o, extra);
}

void JsonWriter::value(const wamp::Value& v) {
    separate();
    write_value(v);
}

void JsonWriter::raw(std::string_view json) {
    separate();
    out_.append(json);
}

void JsonWriter::fail(std::string message) {
    if (failed_) return;
    failed_ = true;
    error_ = std::move(message);
}

Status JsonWriter::status() const {
    if (failed_) return Failure{error_};
    return {};
}

void JsonWriter::write_value(const wamp::Value& v) {
    using Kind = wamp::Value::Kind;
    switch (v.kind()) {
    case Kind::null: out_ += "null"; return;
    case Kind::boolean: out_ += *v.if_bool() ? "true" : "false"; return;
    case Kind::integer: {
        char buf[24];
        const auto r = std::to_chars(buf, buf + sizeof buf, *v.to_int());
        out_.append(buf, r.ptr);
        return;
    }
    case Kind::uinteger: {
        char buf[24];
        const auto r = std::to_chars(buf, buf + sizeof buf, *v.to_uint());
        out_.append(buf, r.ptr);
        return;
    }
    case Kind::real: write_double(*v.if_double()); return;
    case Kind::string: write_string(*v.if_string()); return;
    case Kind::bytes: {
        const auto& data = v.if_bytes()->data;
        out_ += "\"\\u0000";
        base64_append(data.data(), data.size(), out_);
        out_ += '"';
        return;
    }
    case Kind::array: {
        out_ += '[';
        bool first = true;
        for (const wamp::Value& e : *v.if_array()) {
            if (!first) out_ += ',';
            first = false;
            write_value(e);
        }
        out_ += ']';
        return;
    }
    case Kind::object: write_object(*v.if_object()); return;
    }
}

void JsonWriter::write_object(const wamp::Object& o, const RawEntry* extra) {
    out_ += '{';
    bool first = true;
    for (const auto& [key, e] : o) {
        if (!first) out_ += ',';
        first = false;
        write_string(key);
        out_ += ':';
        write_value(e);
    }
    if (extra) {
        if (!first) out_ += ',';
        write_string(extra->key);
        out_ += ':';
        out_.append(extra->encoded_value);
    }
    out_ += '}';
}

void JsonWriter::write_double(double d) {
    if (!std::isfinite(d)) {
        fail("JSON cannot carry NaN or infinity");
        out_ += "null";
        return;
    }
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, d);
    out_.append(buf, r.ptr);
    // "1" would come back as an integer; keep the value a double.
    if (std::memchr(buf, '.', static_cast<std::size_t>(r.ptr - buf)) == nullptr &&
        std::memchr(buf, 'e', static_cast<std::size_t>(r.ptr - buf)) == nullptr)
        out_ += ".0";
}

void JsonWriter::write_string(std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    out_.reserve(out_.size() + s.size() + 2);
    out_ += '"';
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const auto* end = p + s.size();
    const auto* run = p; // start of bytes not yet copied
    while (p != end) {
        const unsigned char c = *p;
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            ++p;
            continue;
        }
        if (c >= 0x80) {
            const std::size_t n = utf8_sequence(p, end);
            if (n == 0) {
                fail("string is not valid UTF-8");
                break;
            }
            p += n;
            continue;
        }
        out_.append(reinterpret_cast<const char*>(run), static_cast<std::size_t>(p - run));
        switch (c) {
        case '"': out_ += "\\\""; break;
        case '\\': out_ += "\\\\"; break;
        case '\b': out_ += "\\b"; break;
        case '\f': out_ += "\\f"; break;
        case '\n': out_ += "\\n"; break;
        case '\r': out_ += "\\r"; break;
        case '\t': out_ += "\\t"; break;
        default: {
            const char esc[] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xf]};
            out_.append(esc, sizeof esc);
        }
        }
        run = ++p;
    }
    out_.append(reinterpret_cast<const char*>(run), static_cast<std::size_t>(p - run));
    out_ += '"';
}

} // namespace nexus::serialize::detail
