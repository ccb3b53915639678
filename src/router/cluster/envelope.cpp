#include "router/cluster/envelope.hpp"

#include <nexus/serialize/serializer.hpp>

namespace nexus::router::cluster {

namespace {

// The format byte: 0 none, else Format + 1.
std::uint8_t format_code(std::optional<wamp::Format> f) {
    return f ? static_cast<std::uint8_t>(static_cast<int>(*f) + 1) : 0;
}

} // namespace

wamp::Expected<std::string> encode(Kind kind, const wamp::Array& head,
                                   const wamp::Message* message) {
    wamp::Array list;
    list.reserve(head.size() + 1);
    list.emplace_back(static_cast<std::uint64_t>(kind));
    list.insert(list.end(), head.begin(), head.end());
    std::string out(4, '\0');
    if (auto s =
            serialize::encode_value_into(wamp::Format::msgpack, wamp::Value(std::move(list)), out);
        !s)
        return s.error();
    const std::size_t n = out.size() - 4;
    for (int i = 0; i < 4; ++i)
        out[static_cast<std::size_t>(i)] = static_cast<char>((n >> (24 - 8 * i)) & 0xff);
    if (!message) {
        out.push_back(0);
        return out;
    }
    const wamp::Payload* p = wamp::payload_of(*message);
    const wamp::Format format = p && p->raw_format() ? *p->raw_format() : wamp::Format::msgpack;
    out.push_back(static_cast<char>(format_code(format)));
    if (auto s = serialize::encode_into(format, *message, out); !s) return s.error();
    return out;
}

wamp::Expected<Envelope> decode(wamp::SharedFrame bytes) {
    const std::string& b = *bytes;
    if (b.size() < 5) return wamp::Failure{"cluster envelope: too short"};
    std::size_t n = 0;
    for (int i = 0; i < 4; ++i)
        n = (n << 8) | static_cast<unsigned char>(b[static_cast<std::size_t>(i)]);
    if (n > b.size() - 5) return wamp::Failure{"cluster envelope: header longer than the envelope"};
    auto head = serialize::decode_value(wamp::Format::msgpack, std::string_view(b).substr(4, n));
    if (!head) return wamp::Failure{"cluster envelope header: " + head.error().message};
    if (!head->is_array() || head->as_array().empty() || !head->as_array()[0].to_uint())
        return wamp::Failure{"cluster envelope header: not a list starting with its kind"};
    Envelope e;
    wamp::Array list = std::move(*head).as_array();
    e.kind = static_cast<Kind>(*list[0].to_uint());
    list.erase(list.begin());
    e.head = std::move(list);
    const auto code = static_cast<unsigned char>(b[4 + n]);
    if (code == 0) return e;
    if (code > 3) return wamp::Failure{"cluster envelope: unknown format " + std::to_string(code)};
    const auto format = static_cast<wamp::Format>(code - 1);
    // Decoded in place: the payload slices the envelope, which it keeps alive.
    auto message = serialize::decode(format, bytes, std::string_view(b).substr(5 + n));
    if (!message) return wamp::Failure{"cluster envelope message: " + message.error().message};
    e.message = std::move(*message);
    return e;
}

} // namespace nexus::router::cluster
