// The bench's arguments list: [send_time_ns, sender, sequence, padding].
// Callees echo it and subscribers read it, so latency and loss are measured
// from the payload itself, the same way through a router or the forwarder.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "wire_writer.hpp"

namespace wampbench {

struct Stamp {
    std::uint64_t sent_ns = 0;
    std::uint64_t sender = 0;
    std::uint64_t seq = 0;
};

class StampWriter {
public:
    /// Pads the list so that its encoding is about `payload_size` bytes.
    StampWriter(Format format, std::size_t payload_size);
    void write(WireWriter& w, const Stamp& stamp) const;

private:
    std::string pad_item_; // the pre-encoded padding string
};

/// How often a paced sender (--rate) wakes up: about once per message, but
/// not more than every 50 us (timer cost) nor less than every 1 ms (bursts).
std::chrono::nanoseconds pacing_interval(double messages_per_second);

/// Reads the stamp from an encoded arguments list.
std::optional<Stamp> read_stamp(Format format, std::string_view args);

/// A probe's arguments list, [sender]: a publication sent before measuring,
/// to learn when a subscriber on another router hears the sender.
void write_probe(WireWriter& w, std::uint64_t sender);
/// The sender of a probe, if `args` is one.
std::optional<std::uint64_t> read_probe(Format format, std::string_view args);

} // namespace wampbench
