#include "wire_writer.hpp"

#include <charconv>

namespace wampbench {

// JSON needs a comma between items of a list; every other format is a plain
// sequence. A comma goes before an item unless it opens the frame or follows '['.
void WireWriter::separate() {
    if (format_ == Format::json && out_.size() > start_ && out_.back() != '[') out_.push_back(',');
}

void WireWriter::head(std::uint8_t major, std::uint64_t value) {
    const auto m = static_cast<char>(major << 5);
    if (value < 24) {
        out_.push_back(static_cast<char>(m | static_cast<char>(value)));
        return;
    }
    int bytes = value <= 0xff ? 1 : value <= 0xffff ? 2 : value <= 0xffffffffu ? 4 : 8;
    const char info = bytes == 1 ? 24 : bytes == 2 ? 25 : bytes == 4 ? 26 : 27;
    out_.push_back(static_cast<char>(m | info));
    for (int i = bytes - 1; i >= 0; --i)
        out_.push_back(static_cast<char>(value >> (8 * i)));
}

void WireWriter::begin_list(std::size_t count) {
    separate();
    switch (format_) {
    case Format::json: out_.push_back('['); break;
    case Format::msgpack:
        if (count < 16) {
            out_.push_back(static_cast<char>(0x90 | count));
        } else {
            out_.push_back(static_cast<char>(0xdc));
            out_.push_back(static_cast<char>(count >> 8));
            out_.push_back(static_cast<char>(count));
        }
        break;
    case Format::cbor: head(4, count); break;
    }
}

void WireWriter::end_list() {
    if (format_ == Format::json) out_.push_back(']');
}

void WireWriter::uint(std::uint64_t value) {
    separate();
    switch (format_) {
    case Format::json: {
        char buf[24];
        auto res = std::to_chars(buf, buf + sizeof buf, value);
        out_.append(buf, res.ptr);
        break;
    }
    case Format::msgpack:
        if (value < 128) {
            out_.push_back(static_cast<char>(value));
        } else {
            int bytes = value <= 0xff ? 1 : value <= 0xffff ? 2 : value <= 0xffffffffu ? 4 : 8;
            const char tag = bytes == 1   ? '\xcc'
                             : bytes == 2 ? '\xcd'
                             : bytes == 4 ? '\xce'
                                          : '\xcf';
            out_.push_back(tag);
            for (int i = bytes - 1; i >= 0; --i)
                out_.push_back(static_cast<char>(value >> (8 * i)));
        }
        break;
    case Format::cbor: head(0, value); break;
    }
}

void WireWriter::str(std::string_view text) {
    separate();
    switch (format_) {
    case Format::json:
        out_.push_back('"');
        out_.append(text);
        out_.push_back('"');
        return;
    case Format::msgpack:
        if (text.size() < 32) {
            out_.push_back(static_cast<char>(0xa0 | text.size()));
        } else if (text.size() <= 0xff) {
            out_.push_back('\xd9');
            out_.push_back(static_cast<char>(text.size()));
        } else if (text.size() <= 0xffff) {
            out_.push_back('\xda');
            out_.push_back(static_cast<char>(text.size() >> 8));
            out_.push_back(static_cast<char>(text.size()));
        } else {
            out_.push_back('\xdb');
            for (int i = 3; i >= 0; --i)
                out_.push_back(static_cast<char>(text.size() >> (8 * i)));
        }
        break;
    case Format::cbor: head(3, text.size()); break;
    }
    out_.append(text);
}

void WireWriter::empty_dict() {
    separate();
    switch (format_) {
    case Format::json: out_.append("{}"); break;
    case Format::msgpack: out_.push_back('\x80'); break;
    case Format::cbor: out_.push_back('\xa0'); break;
    }
}

void WireWriter::raw(std::string_view encoded) {
    separate();
    out_.append(encoded);
}

std::string encode_string_item(Format format, std::string_view text) {
    std::string out;
    WireWriter(format, out).str(text);
    return out;
}

} // namespace wampbench
