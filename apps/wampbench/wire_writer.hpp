// A minimal encoder for the few messages wampbench sends in its hot loops
// (CALL, YIELD, PUBLISH). It writes straight into a transport's send buffer,
// so building a frame costs no allocation once buffers have grown; setup
// messages go through nexus::serialize instead, which is complete but slower.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nexus/wamp/format.hpp>

namespace wampbench {

using nexus::wamp::Format;

class WireWriter {
public:
    /// Appends to `out`; the frame starts at out.size() at construction.
    WireWriter(Format format, std::string& out) : format_(format), out_(out), start_(out.size()) {}

    void begin_list(std::size_t count);
    void end_list();
    void uint(std::uint64_t value);
    /// `text` must not need escaping in JSON (wampbench only writes URIs and 'x' padding).
    void str(std::string_view text);
    void empty_dict();
    /// Splices an already encoded item (a pre-encoded string or payload list).
    void raw(std::string_view encoded);

private:
    void separate();
    void head(std::uint8_t major, std::uint64_t value); // CBOR
    Format format_;
    std::string& out_;
    std::size_t start_;
};

/// The encoding of `text` as a single string item, for splicing with raw().
std::string encode_string_item(Format format, std::string_view text);

} // namespace wampbench
