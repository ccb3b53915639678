#include "stamp.hpp"

#include <algorithm>

#include "runner.hpp"
#include "wire_reader.hpp"

namespace wampbench {

StampWriter::StampWriter(Format format, std::size_t payload_size) {
    // Measure the list with an empty pad and a typical timestamp, then pad up.
    std::string probe;
    WireWriter w(format, probe);
    w.begin_list(4);
    w.uint(now_ns());
    w.uint(1);
    w.uint(1000);
    w.str("");
    w.end_list();
    const std::size_t pad = payload_size > probe.size() + 2 ? payload_size - probe.size() - 2 : 0;
    pad_item_ = encode_string_item(format, std::string(pad, 'x'));
}

void StampWriter::write(WireWriter& w, const Stamp& s) const {
    w.begin_list(4);
    w.uint(s.sent_ns);
    w.uint(s.sender);
    w.uint(s.seq);
    w.raw(pad_item_);
    w.end_list();
}

std::chrono::nanoseconds pacing_interval(double messages_per_second) {
    using std::chrono::nanoseconds;
    if (messages_per_second <= 0) return std::chrono::milliseconds(1);
    const auto ns = static_cast<std::int64_t>(1e9 / messages_per_second);
    return std::clamp(nanoseconds(ns), nanoseconds(50'000), nanoseconds(1'000'000));
}

std::optional<Stamp> read_stamp(Format format, std::string_view args) {
    ListItems items;
    if (!split_list(format, args, items) || items.count < 3) return std::nullopt;
    const auto t = read_uint(format, items.item[0]);
    const auto s = read_uint(format, items.item[1]);
    const auto q = read_uint(format, items.item[2]);
    if (!t || !s || !q) return std::nullopt;
    return Stamp{*t, *s, *q};
}

void write_probe(WireWriter& w, std::uint64_t sender) {
    w.begin_list(1);
    w.uint(sender);
    w.end_list();
}

std::optional<std::uint64_t> read_probe(Format format, std::string_view args) {
    ListItems items;
    if (!split_list(format, args, items) || items.count != 1) return std::nullopt;
    return read_uint(format, items.item[0]);
}

} // namespace wampbench
