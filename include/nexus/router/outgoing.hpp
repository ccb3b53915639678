// Outgoing: a message the router sends, shared by every peer it goes to.
//
// An EVENT fanned out to a thousand subscribers is one Outgoing; each
// serializer's bytes are produced once, by the first peer that needs them,
// and shared by the rest (DESIGN.md: "encode once per fan-out").
#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include <nexus/wamp/expected.hpp>
#include <nexus/wamp/format.hpp>
#include <nexus/wamp/message.hpp>
#include <nexus/wamp/value.hpp>

namespace nexus::router {

class SharedDetail;

class Outgoing : public std::enable_shared_from_this<Outgoing> {
public:
    explicit Outgoing(wamp::Message message) : message_(std::move(message)) {}

    /// A WELCOME whose Details also carry `shared` (which welcome.details must
    /// not already have): spliced in by encoded(), copied in by message().
    Outgoing(wamp::Welcome welcome, std::shared_ptr<const SharedDetail> shared)
        : message_(std::move(welcome)), shared_(std::move(shared)),
          shared_pending_(shared_ != nullptr) {}

    /// The whole message, for peers that take messages rather than bytes
    /// (in-process sessions). For a WELCOME with a shared detail, the first
    /// call copies that detail into the message.
    const wamp::Message& message() const;
    /// The message's type, without message()'s copying.
    wamp::MessageType type() const noexcept { return wamp::message_type(message_); }

    /// The message encoded in `format`, computed at most once per format.
    /// Fails only for values the format cannot carry (e.g. NaN in JSON).
    /// The bytes live inside this Outgoing (the pointer shares its
    /// ownership) when it is owned by a shared_ptr, as the router's are:
    /// no allocation besides the encoding itself.
    wamp::Expected<std::shared_ptr<const std::string>> encoded(wamp::Format format) const;

private:
    friend class SharedDetail;

    /// Bytes made at most once per format, or the reason they could not be made.
    /// Not synchronised: its owner holds a lock around get().
    class EncodedOnce {
    public:
        /// The bytes for `format`; encode(out) runs on the first call only. A
        /// pointer into this object: the bytes never change once made.
        template <class Encode>
        wamp::Expected<const std::string*> get(wamp::Format format, Encode&& encode) {
            const auto i = static_cast<std::size_t>(format);
            if (state_[i] == State::not_yet) {
                if (wamp::Status status = encode(text_[i]); status) {
                    state_[i] = State::encoded;
                } else {
                    state_[i] = State::failed;
                    text_[i] = status.error().message;
                }
            }
            if (state_[i] == State::failed) return wamp::Failure{text_[i]};
            return &text_[i];
        }

    private:
        enum class State : unsigned char { not_yet, encoded, failed };
        std::array<State, 3> state_{};
        std::array<std::string, 3> text_; // the encoding, or the reason it failed
    };

    wamp::Status encode(wamp::Format format, std::string& out) const;

    mutable wamp::Message message_;
    // Not yet in message_ (only a WELCOME has one, until message() is asked for).
    mutable std::shared_ptr<const SharedDetail> shared_;
    mutable std::atomic<bool> shared_pending_{false}; // message() reads it without the lock
    mutable std::mutex mutex_; // encodings_, and shared_ until it is in message_
    mutable EncodedOnce encodings_;
};

/// A details entry that many messages carry unchanged (every WELCOME's
/// `roles`): encoded once per format and spliced into each message's
/// encoding, instead of copied into each message and encoded again.
class SharedDetail {
public:
    SharedDetail(std::string key, wamp::Value value)
        : key_(std::move(key)), value_(std::move(value)) {}

    const std::string& key() const noexcept { return key_; }
    const wamp::Value& value() const noexcept { return value_; }

    /// The value encoded in `format`, computed at most once per format; the
    /// bytes stay valid for this object's life.
    wamp::Expected<std::string_view> encoded(wamp::Format format) const;

private:
    std::string key_;
    wamp::Value value_;
    mutable std::mutex mutex_;
    mutable Outgoing::EncodedOnce encodings_;
};

using OutgoingPtr = std::shared_ptr<const Outgoing>;

} // namespace nexus::router
