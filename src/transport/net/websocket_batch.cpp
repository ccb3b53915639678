#include "transport/net/websocket_batch.hpp"

namespace nexus::transport::batch {

namespace {

wamp::Expected<std::vector<std::string_view>> split_json(std::string_view batch, char& separator) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    for (std::size_t i = 0; i < batch.size(); ++i) {
        if (batch[i] != spec_separator && batch[i] != autobahn_separator) continue;
        if (i == start) return wamp::Failure{"batched WebSocket: an empty message in a JSON batch"};
        out.push_back(batch.substr(start, i - start));
        separator = batch[i];
        start = i + 1;
    }
    if (start != batch.size())
        return wamp::Failure{"batched WebSocket: a JSON message not followed by a record "
                             "separator (0x1e)"};
    return out;
}

wamp::Expected<std::vector<std::string_view>> split_prefixed(std::string_view batch) {
    std::vector<std::string_view> out;
    while (!batch.empty()) {
        if (batch.size() < 4) return wamp::Failure{"batched WebSocket: a length prefix cut short"};
        const auto byte = [&](std::size_t i) {
            return static_cast<std::uint32_t>(static_cast<unsigned char>(batch[i]));
        };
        const std::uint32_t size = byte(0) << 24 | byte(1) << 16 | byte(2) << 8 | byte(3);
        batch.remove_prefix(4);
        if (size == 0) return wamp::Failure{"batched WebSocket: an empty message in a batch"};
        if (size > batch.size())
            return wamp::Failure{"batched WebSocket: a message of " + std::to_string(size) +
                                 " bytes with " + std::to_string(batch.size()) +
                                 " bytes left in the batch"};
        out.push_back(batch.substr(0, size));
        batch.remove_prefix(size);
    }
    return out;
}

} // namespace

wamp::Expected<std::vector<std::string_view>> split(wamp::Format format, std::string_view batch,
                                                    char& separator) {
    if (batch.empty()) return wamp::Failure{"batched WebSocket: a batch without any message"};
    if (format == wamp::Format::json) return split_json(batch, separator);
    return split_prefixed(batch);
}

Framing framing(wamp::Format format, std::size_t size, char separator) {
    Framing f;
    if (format == wamp::Format::json) {
        f.suffix = separator;
        f.suffix_size = 1;
        return f;
    }
    const auto n = static_cast<std::uint32_t>(size);
    f.prefix[0] = static_cast<char>(n >> 24);
    f.prefix[1] = static_cast<char>(n >> 16 & 0xff);
    f.prefix[2] = static_cast<char>(n >> 8 & 0xff);
    f.prefix[3] = static_cast<char>(n & 0xff);
    f.prefix_size = 4;
    return f;
}

} // namespace nexus::transport::batch
