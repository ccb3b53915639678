#include "serialize/cbor_writer.hpp"

#include "serialize/utf8.hpp"

#include <utility>

namespace nexus::serialize::detail {

void CborWriter::fail(std::string message) {
    if (failed_) return;
    failed_ = true;
    error_ = std::move(message);
}

Status CborWriter::status() const {
    if (failed_) return Failure{error_};
    return {};
}

void CborWriter::write_value(const wamp::Value& v) {
    using Kind = wamp::Value::Kind;
    switch (v.kind()) {
    case Kind::null: out_.push_back(static_cast<char>(0xf6)); return;
    case Kind::boolean: out_.push_back(static_cast<char>(*v.if_bool() ? 0xf5 : 0xf4)); return;
    case Kind::integer: {
        const std::int64_t i = *v.to_int();
        if (i >= 0) {
            cbor::append_head(out_, cbor::major_uint, static_cast<std::uint64_t>(i));
        } else {
            // Major type 1 carries -1 - i, which is ~i in two's complement
            // and cannot overflow even for INT64_MIN.
            cbor::append_head(out_, cbor::major_negint, ~static_cast<std::uint64_t>(i));
        }
        return;
    }
    case Kind::uinteger: cbor::append_head(out_, cbor::major_uint, *v.to_uint()); return;
    case Kind::real: cbor::append_double(out_, *v.if_double()); return;
    case Kind::string: write_text(*v.if_string()); return;
    case Kind::bytes: {
        const auto& data = v.if_bytes()->data;
        cbor::append_head(out_, cbor::major_bytes, data.size());
        out_.append(reinterpret_cast<const char*>(data.data()), data.size());
        return;
    }
    case Kind::array: {
        const wamp::Array& a = *v.if_array();
        cbor::append_head(out_, cbor::major_array, a.size());
        for (const wamp::Value& e : a)
            write_value(e);
        return;
    }
    case Kind::object: write_object(*v.if_object()); return;
    }
}

void CborWriter::write_object(const wamp::Object& o, const RawEntry* extra) {
    cbor::append_head(out_, cbor::major_map, o.size() + (extra ? 1 : 0));
    for (const auto& [key, e] : o) {
        write_text(key);
        write_value(e);
    }
    if (extra) {
        write_text(extra->key);
        out_.append(extra->encoded_value);
    }
}

void CborWriter::write_text(std::string_view s) {
    // Our own decoder (and any strict peer) would reject the frame; say so here.
    if (!utf8_valid(s)) fail("string is not valid UTF-8");
    cbor::append_head(out_, cbor::major_text, s.size());
    out_.append(s);
}

} // namespace nexus::serialize::detail
