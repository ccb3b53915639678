// Appends CBOR to a std::string; the Writer that detail::write_message drives
// for CBOR (see message_writer.hpp). Integers take the smallest head, doubles
// are always float64, strings are text and Bytes byte strings.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nexus/serialize/serializer.hpp>

#include "serialize/cbor_head.hpp"
#include "serialize/codec.hpp"

namespace nexus::serialize::detail {

class CborWriter {
public:
    static constexpr wamp::Format format = wamp::Format::cbor;

    explicit CborWriter(std::string& out) noexcept : out_(out) {}

    void begin_list(std::size_t n) { cbor::append_head(out_, cbor::major_array, n); }
    // Lengths are in the heads: nothing marks the end of a list.
    void end_list() {}
    void uint(std::uint64_t u) { cbor::append_head(out_, cbor::major_uint, u); }
    void string(std::string_view s) { write_text(s); }
    void object(const wamp::Object& o, const RawEntry* extra = nullptr) { write_object(o, extra); }
    void value(const wamp::Value& v) { write_value(v); }
    void raw(std::string_view cbor) { out_.append(cbor); }
    void fail(std::string message);
    Status status() const;

private:
    void write_value(const wamp::Value& v);
    void write_object(const wamp::Object& o, const RawEntry* extra = nullptr);
    void write_text(std::string_view s);

    std::string& out_;
    std::string error_;
    bool failed_ = false;
};

} // namespace nexus::serialize::detail
