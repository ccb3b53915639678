// Bytes <-> Message for the three WAMP serializers (JSON, MessagePack, CBOR).
//
// Decoding never throws and never reads outside the given frame: malformed,
// truncated, too deeply nested or type-confused input yields a Failure that
// says what is wrong. The payload of a decoded message stays encoded (see
// wamp::Payload) and is spliced back unchanged when encoded with the same format.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <nexus/wamp/expected.hpp>
#include <nexus/wamp/format.hpp>
#include <nexus/wamp/message.hpp>
#include <nexus/wamp/payload.hpp>
#include <nexus/wamp/value.hpp>

namespace nexus::serialize {

using wamp::Expected;
using wamp::Failure;
using wamp::Format;
using wamp::Status;

struct DecodeLimits {
    /// Maximum nesting of lists/dicts, counting the message list itself as 1.
    /// Deeper input is rejected (it would only serve to exhaust the stack).
    std::size_t max_depth = 64;
};

/// Decodes one message from `frame`; the payload keeps referencing `frame`.
Expected<wamp::Message> decode(Format format, wamp::SharedFrame frame,
                               const DecodeLimits& limits = {});
/// Decodes the message in `bytes`, a part of *frame: the payload slices
/// *frame and keeps it alive (a message carried inside a larger buffer).
Expected<wamp::Message> decode(Format format, wamp::SharedFrame frame, std::string_view bytes,
                               const DecodeLimits& limits = {});
/// Convenience overload that copies `bytes` into a new shared frame.
Expected<wamp::Message> decode(Format format, std::string_view bytes,
                               const DecodeLimits& limits = {});

/// Appends the encoding of `message` to `out`. Fails (leaving `out` with
/// unspecified appended bytes) for values a format cannot carry, e.g. a
/// NaN in JSON.
Status encode_into(Format format, const wamp::Message& message, std::string& out);
Expected<std::string> encode(Format format, const wamp::Message& message);

/// Appends a WELCOME whose Details get one more entry, `key`, with a value
/// already encoded in `format` (`encoded_value`, e.g. by encode_value_into()):
/// what every session's WELCOME shares (the router's roles) is then encoded
/// once rather than copied and encoded per session. `key` must not be one of
/// welcome.details' keys.
Status encode_welcome_into(Format format, const wamp::Welcome& welcome, std::string_view key,
                           std::string_view encoded_value, std::string& out);

/// A single value, outside any message (used for lazy payload decoding and tests).
Expected<wamp::Value> decode_value(Format format, std::string_view bytes,
                                   const DecodeLimits& limits = {});
Status encode_value_into(Format format, const wamp::Value& value, std::string& out);

} // namespace nexus::serialize
