// Appends JSON to a std::string; the Writer that detail::write_message drives
// for JSON (see message_writer.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nexus/serialize/serializer.hpp>

#include "serialize/codec.hpp"

namespace nexus::serialize::detail {

class JsonWriter {
public:
    static constexpr wamp::Format format = wamp::Format::json;

    explicit JsonWriter(std::string& out) noexcept : out_(out) {}

    void begin_list(std::size_t n);
    void end_list();
    void uint(std::uint64_t u);
    void string(std::string_view s);
    void object(const wamp::Object& o, const RawEntry* extra = nullptr);
    void value(const wamp::Value& v);
    void raw(std::string_view json);
    void fail(std::string message);
    Status status() const;

private:
    // Elements of the current list are comma separated; the writer remembers
    // whether one has been written since the last '['.
    void separate() {
        if (need_comma_) out_ += ',';
        need_comma_ = true;
    }
    void write_value(const wamp::Value& v);
    void write_object(const wamp::Object& o, const RawEntry* extra = nullptr);
    void write_string(std::string_view s);
    void write_double(double d);

    std::string& out_;
    std::string error_;
    bool failed_ = false;
    bool need_comma_ = false;
};

} // namespace nexus::serialize::detail
