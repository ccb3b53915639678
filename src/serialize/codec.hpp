// What each wire format implements (json_codec.cpp, msgpack_codec.cpp,
// cbor_codec.cpp); serializer.cpp dispatches on Format and assembles messages.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <boost/container/small_vector.hpp>

#include <nexus/serialize/serializer.hpp>

namespace nexus::serialize::detail {

/// One more entry for an object, its value already encoded in the format
/// being written (encode_welcome_into()).
struct RawEntry {
    std::string_view key;
    std::string_view encoded_value;
};

/// A frame taken apart: the message type, the decoded elements between the
/// type code and the payload, and the payload as raw, validated slices.
struct SplitFrame {
    wamp::MessageType type = wamp::MessageType::hello;
    // At most 6 elements precede the payload (PUBLISHED, ERROR, ...): inline,
    // so that taking a frame apart costs no allocation.
    boost::container::small_vector<wamp::Value, 6> head;
    /// One complete encoded array (args) and map (kwargs) each, as views into
    /// the frame; empty when absent.
    std::string_view args;
    std::string_view kwargs;
};

// Each format provides the same four functions. Contract for split() (which
// fills a default-constructed SplitFrame in place: it is moved nowhere):
// - the frame must be exactly one list (nothing but insignificant whitespace
//   after it for JSON) whose first element is a known message type code;
// - the elements before wamp::payload_position(type) are decoded into `head`
//   (counts and types are checked later by wamp::make_message);
// - at most two elements may follow: an array (args) then a map (kwargs);
//   they are fully validated (well-formed, depth within limits, valid UTF-8
//   strings, string map keys) but not decoded;
// - every failure is a Failure naming the problem; nothing throws.
// Strings that are not valid UTF-8 and map keys that are not strings are
// rejected everywhere. JSON strings starting with U+0000 decode to Bytes
// (base64 after the NUL); Bytes encode that way in JSON.

Status json_split(std::string_view frame, const DecodeLimits& limits, SplitFrame& out);
Expected<wamp::Value> json_decode_value(std::string_view bytes, const DecodeLimits& limits);
Status json_encode_message(const wamp::Message& message, std::string& out);
Status json_encode_value(const wamp::Value& value, std::string& out);
Status json_encode_welcome(const wamp::Welcome& welcome, const RawEntry& extra, std::string& out);

Status msgpack_split(std::string_view frame, const DecodeLimits& limits, SplitFrame& out);
Expected<wamp::Value> msgpack_decode_value(std::string_view bytes, const DecodeLimits& limits);
Status msgpack_encode_message(const wamp::Message& message, std::string& out);
Status msgpack_encode_value(const wamp::Value& value, std::string& out);
Status msgpack_encode_welcome(const wamp::Welcome& welcome, const RawEntry& extra,
                              std::string& out);

Status cbor_split(std::string_view frame, const DecodeLimits& limits, SplitFrame& out);
Expected<wamp::Value> cbor_decode_value(std::string_view bytes, const DecodeLimits& limits);
Status cbor_encode_message(const wamp::Message& message, std::string& out);
Status cbor_encode_value(const wamp::Value& value, std::string& out);
Status cbor_encode_welcome(const wamp::Welcome& welcome, const RawEntry& extra, std::string& out);

} // namespace nexus::serialize::detail
