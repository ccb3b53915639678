// The JSON serializer (WAMP "wamp.2.json"): a message is one JSON list.
#include "serialize/codec.hpp"

#include "serialize/json_parse.hpp"
#include "serialize/json_scanner.hpp"
#include "serialize/json_writer.hpp"
#include "serialize/message_writer.hpp"

#include <string>
#include <utility>

namespace nexus::serialize::detail {

namespace {

// ERROR with Arguments and ArgumentsKw: no message layout has more elements.
constexpr std::size_t max_message_elements = 7;

Failure element_failure(std::size_t index, const Failure& why) {
    return Failure{"JSON message element " + std::to_string(index) + ": " + why.message};
}

// The type code is nearly always a plain small number; anything else goes
// through the parser for a precise complaint.
Expected<std::uint64_t> parse_type_code(std::string_view text, std::size_t depth) {
    if (!text.empty() && text.size() <= 3 && (text.front() != '0' || text.size() == 1)) {
        std::uint64_t code = 0;
        bool digits = true;
        for (const char c : text) {
            if (c < '0' || c > '9') {
                digits = false;
                break;
            }
            code = code * 10 + static_cast<std::uint64_t>(c - '0');
        }
        if (digits) return code;
    }
    auto v = json_parse_value(text, depth);
    if (!v) return element_failure(0, v.error());
    if (!v->is_integer()) return Failure{"the first element of a JSON message must be an integer"};
    if (auto code = v->to_uint()) return *code;
    return Failure{"negative message type " + to_string(*v)};
}

Failure payload_failure(wamp::MessageType type, std::size_t index, const char* what) {
    return Failure{std::string(wamp::message_name(type)) + " element " + std::to_string(index) +
                   what};
}

} // namespace

Status json_split(std::string_view frame, const DecodeLimits& limits, SplitFrame& split) {
    JsonListScanner scanner(frame, limits.max_depth);
    if (!scanner.open()) return Failure{scanner.error()};
    // Elements are nested inside the message list.
    const std::size_t depth = limits.max_depth - 1;

    std::string_view element;
    switch (scanner.next(element)) {
    case JsonListScanner::Step::failed: return Failure{scanner.error()};
    case JsonListScanner::Step::end: return Failure{"a JSON message must not be an empty list"};
    case JsonListScanner::Step::element: break;
    }
    auto code = parse_type_code(element, depth);
    if (!code) return code.error();
    if (!wamp::is_known_message_type(*code))
        return Failure{"unknown message type " + std::to_string(*code)};

    split.type = static_cast<wamp::MessageType>(*code);
    const auto payload_at = wamp::payload_position(split.type);
    const std::size_t head_end = payload_at ? *payload_at : max_message_elements;
    const std::size_t element_limit = payload_at ? *payload_at + 2 : max_message_elements;
    split.head.reserve(payload_at ? *payload_at - 1 : 3);

    for (std::size_t index = 1;; ++index) {
        switch (scanner.next(element)) {
        case JsonListScanner::Step::failed: return Failure{scanner.error()};
        case JsonListScanner::Step::end: return {};
        case JsonListScanner::Step::element: break;
        }
        if (index >= element_limit)
            return Failure{"too many elements for a " +
                           std::string(wamp::message_name(split.type)) + " message"};
        if (index < head_end) {
            auto v = json_parse_value(element, depth);
            if (!v) return element_failure(index, v.error());
            split.head.push_back(std::move(*v));
        } else if (element == "null") {
            // Null Arguments/ArgumentsKw (the Go nexus client sends null
            // Arguments with keyword-only calls) read as absent; the writers
            // put an empty list before kwargs again.
            continue;
        } else if (index == head_end) {
            if (element.front() != '[')
                return payload_failure(split.type, index, " (Arguments) must be a list");
            if (Status s = json_validate(element, depth); !s)
                return element_failure(index, s.error());
            split.args = element;
        } else {
            if (element.front() != '{')
                return payload_failure(split.type, index, " (ArgumentsKw) must be a dict");
            if (Status s = json_validate(element, depth); !s)
                return element_failure(index, s.error());
            split.kwargs = element;
        }
    }
}

Expected<wamp::Value> json_decode_value(std::string_view bytes, const DecodeLimits& limits) {
    return json_parse_value(bytes, limits.max_depth);
}

Status json_encode_message(const wamp::Message& message, std::string& out) {
    std::size_t estimate = 64;
    if (const wamp::Payload* p = wamp::payload_of(message))
        estimate += p->raw_args().size() + p->raw_kwargs().size();
    out.reserve(out.size() + estimate);
    JsonWriter writer(out);
    write_message(writer, message);
    return writer.status();
}

Status json_encode_welcome(const wamp::Welcome& welcome, const RawEntry& extra, std::string& out) {
    JsonWriter writer(out);
    write_welcome(writer, welcome, &extra);
    return writer.status();
}

Status json_encode_value(const wamp::Value& value, std::string& out) {
    JsonWriter writer(out);
    writer.value(value);
    return writer.status();
}

} // namespace nexus::serialize::detail
