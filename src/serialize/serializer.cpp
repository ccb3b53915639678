#include <nexus/serialize/serializer.hpp>

#include "serialize/codec.hpp"

#include <memory>

namespace nexus::serialize {

namespace {

Status split(Format format, std::string_view frame, const DecodeLimits& limits,
             detail::SplitFrame& out) {
    switch (format) {
    case Format::json: return detail::json_split(frame, limits, out);
    case Format::msgpack: return detail::msgpack_split(frame, limits, out);
    case Format::cbor: return detail::cbor_split(frame, limits, out);
    }
    return Failure{"unknown serializer"};
}

} // namespace

Expected<wamp::Message> decode(Format format, wamp::SharedFrame frame, const DecodeLimits& limits) {
    if (!frame) return Failure{"no frame"};
    detail::SplitFrame p;
    if (auto status = split(format, *frame, limits, p); !status) return status.error();
    wamp::Payload payload;
    if (!p.args.empty() || !p.kwargs.empty())
        payload = wamp::Payload::raw(format, std::move(frame), p.args, p.kwargs);
    return wamp::make_message(p.type, p.head, std::move(payload));
}

Expected<wamp::Message> decode(Format format, wamp::SharedFrame frame, std::string_view bytes,
                               const DecodeLimits& limits) {
    if (!frame || bytes.data() < frame->data() ||
        bytes.data() + bytes.size() > frame->data() + frame->size())
        return Failure{"the message does not lie in its frame"};
    detail::SplitFrame p;
    if (auto status = split(format, bytes, limits, p); !status) return status.error();
    wamp::Payload payload;
    if (!p.args.empty() || !p.kwargs.empty())
        payload = wamp::Payload::raw(format, std::move(frame), p.args, p.kwargs);
    return wamp::make_message(p.type, p.head, std::move(payload));
}

Expected<wamp::Message> decode(Format format, std::string_view bytes, const DecodeLimits& limits) {
    return decode(format, std::make_shared<const std::string>(bytes), limits);
}

Status encode_into(Format format, const wamp::Message& message, std::string& out) {
    switch (format) {
    case Format::json: return detail::json_encode_message(message, out);
    case Format::msgpack: return detail::msgpack_encode_message(message, out);
    case Format::cbor: return detail::cbor_encode_message(message, out);
    }
    return Failure{"unknown serializer"};
}

Expected<std::string> encode(Format format, const wamp::Message& message) {
    std::string out;
    if (Status s = encode_into(format, message, out); !s) return s.error();
    return out;
}

Status encode_welcome_into(Format format, const wamp::Welcome& welcome, std::string_view key,
                           std::string_view encoded_value, std::string& out) {
    const detail::RawEntry extra{key, encoded_value};
    switch (format) {
    case Format::json: return detail::json_encode_welcome(welcome, extra, out);
    case Format::msgpack: return detail::msgpack_encode_welcome(welcome, extra, out);
    case Format::cbor: return detail::cbor_encode_welcome(welcome, extra, out);
    }
    return Failure{"unknown serializer"};
}

Expected<wamp::Value> decode_value(Format format, std::string_view bytes,
                                   const DecodeLimits& limits) {
    switch (format) {
    case Format::json: return detail::json_decode_value(bytes, limits);
    case Format::msgpack: return detail::msgpack_decode_value(bytes, limits);
    case Format::cbor: return detail::cbor_decode_value(bytes, limits);
    }
    return Failure{"unknown serializer"};
}

Status encode_value_into(Format format, const wamp::Value& value, std::string& out) {
    switch (format) {
    case Format::json: return detail::json_encode_value(value, out);
    case Format::msgpack: return detail::msgpack_encode_value(value, out);
    case Format::cbor: return detail::cbor_encode_value(value, out);
    }
    return Failure{"unknown serializer"};
}

} // namespace nexus::serialize
