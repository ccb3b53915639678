// Outgoing: a message the router sends, shared by every peer it goes to.
//
// An EVENT fanned out to a thousand subscribers is one Outgoing; each
// serializer's bytes are produced once, by the first peer that needs them,
// and shared by the rest (DESIGN.md: "encode once per fan-out").
#pragma once

#include <array>
#include <memory>
#include <mutex>
#include <string>

#include <nexus/wamp/expected.hpp>
#include <nexus/wamp/format.hpp>
#include <nexus/wamp/message.hpp>

namespace nexus::router {

class Outgoing : public std::enable_shared_from_this<Outgoing> {
public:
    explicit Outgoing(wamp::Message message) : message_(std::move(message)) {}

    const wamp::Message& message() const noexcept { return message_; }

    /// The message encoded in `format`, computed at most once per format.
    /// Fails only for values the format cannot carry (e.g. NaN in JSON).
    /// The bytes live inside this Outgoing (the pointer shares its
    /// ownership) when it is owned by a shared_ptr, as the router's are:
    /// no allocation besides the encoding itself.
    wamp::Expected<std::shared_ptr<const std::string>> encoded(wamp::Format format) const;

private:
    enum class State : unsigned char { not_yet, encoded, failed };

    wamp::Message message_;
    mutable std::mutex mutex_;
    mutable std::array<State, 3> state_{};
    // The encoding, or the reason it failed.
    mutable std::array<std::string, 3> text_;
};

using OutgoingPtr = std::shared_ptr<const Outgoing>;

} // namespace nexus::router
