#include "router/cluster/envelope.hpp"

#include <nexus/serialize/serializer.hpp>

namespace nexus::router::cluster {

namespace {

// The format byte: 0 none, else Format + 1.
std::uint8_t format_code(std::optional<wamp::Format> f) {
    return f ? static_cast<std::uint8_t>(static_cast<int>(*f) + 1) : 0;
}

void put_u32(std::string& out, std::size_t n) {
    for (int i = 0; i < 4; ++i)
        out.push_back(static_cast<char>((n >> (24 - 8 * i)) & 0xff));
}

std::size_t get_u32(std::string_view b, std::size_t at) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < 4; ++i)
        n = (n << 8) | static_cast<unsigned char>(b[at + i]);
    return n;
}

// Every batch this node writes starts with the same bytes.
const std::string& batch_prefix() {
    static const std::string prefix = [] {
        auto bytes = encode(Kind::batch, wamp::Array{wamp::Value(batch_version)});
        return bytes ? std::move(*bytes) : std::string();
    }();
    return prefix;
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
    const std::string_view whole = *bytes;
    return decode(std::move(bytes), whole);
}

wamp::Expected<Envelope> decode(wamp::SharedFrame bytes, std::string_view b) {
    if (b.size() < 5) return wamp::Failure{"cluster envelope: too short"};
    const std::size_t n = get_u32(b, 0);
    if (n > b.size() - 5) return wamp::Failure{"cluster envelope: header longer than the envelope"};
    auto head = serialize::decode_value(wamp::Format::msgpack, b.substr(4, n));
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
    auto message = serialize::decode(format, std::move(bytes), b.substr(5 + n));
    if (!message) return wamp::Failure{"cluster envelope message: " + message.error().message};
    e.message = std::move(*message);
    return e;
}

std::size_t batch_header_size() { return batch_prefix().size(); }

std::string encode_batch(const std::vector<std::string_view>& envelopes) {
    std::size_t size = batch_header_size();
    for (std::string_view e : envelopes)
        size += batch_entry_overhead + e.size();
    std::string out;
    out.reserve(size);
    out.append(batch_prefix());
    for (std::string_view e : envelopes) {
        put_u32(out, e.size());
        out.append(e);
    }
    return out;
}

wamp::Expected<std::vector<std::string_view>> split_batch(std::string_view b) {
    if (b.size() < 5) return wamp::Failure{"cluster batch: too short"};
    const std::size_t n = get_u32(b, 0);
    if (n > b.size() - 5) return wamp::Failure{"cluster batch: header longer than the batch"};
    auto head = serialize::decode_value(wamp::Format::msgpack, b.substr(4, n));
    if (!head) return wamp::Failure{"cluster batch header: " + head.error().message};
    const wamp::Array* list = head->is_array() ? &head->as_array() : nullptr;
    if (!list || list->size() < 2 ||
        (*list)[0].to_uint() != static_cast<std::uint64_t>(Kind::batch))
        return wamp::Failure{"cluster batch header: not [batch, version]"};
    const auto version = (*list)[1].to_uint();
    if (!version || *version == 0 || *version > batch_version)
        return wamp::Failure{"cluster batch: version " + wamp::to_string((*list)[1]) +
                             ", this node reads 1 to " + std::to_string(batch_version)};
    if (b[4 + n] != 0) return wamp::Failure{"cluster batch: a message where envelopes belong"};
    std::vector<std::string_view> parts;
    for (std::size_t at = 5 + n; at < b.size();) {
        if (b.size() - at < batch_entry_overhead)
            return wamp::Failure{"cluster batch: truncated after " + std::to_string(parts.size()) +
                                 " envelopes"};
        const std::size_t length = get_u32(b, at);
        at += batch_entry_overhead;
        if (length > b.size() - at)
            return wamp::Failure{"cluster batch: envelope " + std::to_string(parts.size() + 1) +
                                 " longer than the batch"};
        parts.push_back(b.substr(at, length));
        at += length;
    }
    if (parts.empty()) return wamp::Failure{"cluster batch: no envelope"};
    return parts;
}

} // namespace nexus::router::cluster
