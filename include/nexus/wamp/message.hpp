// The WAMP messages (basic and advanced profile) as typed structs.
//
// Field names follow the spec's layout tables (spec/CHECKLIST.md §1). A
// `Message` is a variant of all of them; the serializers turn bytes into a
// Message and back, checking element counts and element types on the way in.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include <nexus/wamp/expected.hpp>
#include <nexus/wamp/id.hpp>
#include <nexus/wamp/payload.hpp>
#include <nexus/wamp/value.hpp>

namespace nexus::wamp {

enum class MessageType : std::uint16_t {
    hello = 1,
    welcome = 2,
    abort = 3,
    challenge = 4,
    authenticate = 5,
    goodbye = 6,
    error = 8,
    publish = 16,
    published = 17,
    subscribe = 32,
    subscribed = 33,
    unsubscribe = 34,
    unsubscribed = 35,
    event = 36,
    call = 48,
    cancel = 49,
    result = 50,
    register_ = 64,
    registered = 65,
    unregister = 66,
    unregistered = 67,
    invocation = 68,
    interrupt = 69,
    yield = 70,
};

/// "HELLO", "WELCOME", ... ; "UNKNOWN" for codes outside the spec.
std::string_view message_name(MessageType t) noexcept;
/// True for the 24 codes of the spec.
bool is_known_message_type(std::uint64_t code) noexcept;

struct Hello {
    static constexpr MessageType type = MessageType::hello;
    bool operator==(const Hello&) const = default;
    std::string realm;
    Object details;
};
struct Welcome {
    static constexpr MessageType type = MessageType::welcome;
    bool operator==(const Welcome&) const = default;
    Id session = 0;
    Object details;
};
struct Abort {
    static constexpr MessageType type = MessageType::abort;
    bool operator==(const Abort&) const = default;
    Object details;
    std::string reason;
    Payload payload;
};
struct Challenge {
    static constexpr MessageType type = MessageType::challenge;
    bool operator==(const Challenge&) const = default;
    std::string authmethod;
    Object extra;
};
struct Authenticate {
    static constexpr MessageType type = MessageType::authenticate;
    bool operator==(const Authenticate&) const = default;
    std::string signature;
    Object extra;
};
struct Goodbye {
    static constexpr MessageType type = MessageType::goodbye;
    bool operator==(const Goodbye&) const = default;
    Object details;
    std::string reason;
};
struct Error {
    static constexpr MessageType type = MessageType::error;
    bool operator==(const Error&) const = default;
    MessageType request_type = MessageType::call;
    Id request = 0;
    Object details;
    std::string error;
    Payload payload;
};
struct Publish {
    static constexpr MessageType type = MessageType::publish;
    bool operator==(const Publish&) const = default;
    Id request = 0;
    Object options;
    std::string topic;
    Payload payload;
};
struct Published {
    static constexpr MessageType type = MessageType::published;
    bool operator==(const Published&) const = default;
    Id request = 0;
    Id publication = 0;
};
struct Subscribe {
    static constexpr MessageType type = MessageType::subscribe;
    bool operator==(const Subscribe&) const = default;
    Id request = 0;
    Object options;
    std::string topic;
};
struct Subscribed {
    static constexpr MessageType type = MessageType::subscribed;
    bool operator==(const Subscribed&) const = default;
    Id request = 0;
    Id subscription = 0;
};
struct Unsubscribe {
    static constexpr MessageType type = MessageType::unsubscribe;
    bool operator==(const Unsubscribe&) const = default;
    Id request = 0;
    Id subscription = 0;
};
/// `[35, Request]`, or the revocation form `[35, 0, Details]` (details present).
struct Unsubscribed {
    static constexpr MessageType type = MessageType::unsubscribed;
    bool operator==(const Unsubscribed&) const = default;
    Id request = 0;
    std::optional<Object> details;
};
struct Event {
    static constexpr MessageType type = MessageType::event;
    bool operator==(const Event&) const = default;
    Id subscription = 0;
    Id publication = 0;
    Object details;
    Payload payload;
};
struct Call {
    static constexpr MessageType type = MessageType::call;
    bool operator==(const Call&) const = default;
    Id request = 0;
    Object options;
    std::string procedure;
    Payload payload;
};
struct Cancel {
    static constexpr MessageType type = MessageType::cancel;
    bool operator==(const Cancel&) const = default;
    Id request = 0;
    Object options;
};
struct Result {
    static constexpr MessageType type = MessageType::result;
    bool operator==(const Result&) const = default;
    Id request = 0;
    Object details;
    Payload payload;
};
struct Register {
    static constexpr MessageType type = MessageType::register_;
    bool operator==(const Register&) const = default;
    Id request = 0;
    Object options;
    std::string procedure;
};
struct Registered {
    static constexpr MessageType type = MessageType::registered;
    bool operator==(const Registered&) const = default;
    Id request = 0;
    Id registration = 0;
};
struct Unregister {
    static constexpr MessageType type = MessageType::unregister;
    bool operator==(const Unregister&) const = default;
    Id request = 0;
    Id registration = 0;
};
/// `[67, Request]`, or the revocation form `[67, 0, Details]` (details present).
struct Unregistered {
    static constexpr MessageType type = MessageType::unregistered;
    bool operator==(const Unregistered&) const = default;
    Id request = 0;
    std::optional<Object> details;
};
struct Invocation {
    static constexpr MessageType type = MessageType::invocation;
    bool operator==(const Invocation&) const = default;
    Id request = 0;
    Id registration = 0;
    Object details;
    Payload payload;
};
struct Interrupt {
    static constexpr MessageType type = MessageType::interrupt;
    bool operator==(const Interrupt&) const = default;
    Id request = 0;
    Object options;
};
struct Yield {
    static constexpr MessageType type = MessageType::yield;
    bool operator==(const Yield&) const = default;
    Id request = 0;
    Object options;
    Payload payload;
};

using Message =
    std::variant<Hello, Welcome, Abort, Challenge, Authenticate, Goodbye, Error, Publish, Published,
                 Subscribe, Subscribed, Unsubscribe, Unsubscribed, Event, Call, Cancel, Result,
                 Register, Registered, Unregister, Unregistered, Invocation, Interrupt, Yield>;

MessageType message_type(const Message& m) noexcept;

/// The payload of a message that can carry one, else nullptr.
const Payload* payload_of(const Message& m) noexcept;
Payload* payload_of(Message& m) noexcept;

/// Position of `Arguments|list` in the encoded list of a message type that
/// carries a payload (e.g. 4 for PUBLISH: [16, Request, Options, Topic, Args...]),
/// or nullopt for types without one. The serializers use it to leave the
/// payload encoded.
std::optional<std::size_t> payload_position(MessageType t) noexcept;

/// Builds a typed message from the decoded list elements that precede the
/// payload (`head`, the type code excluded) and the payload. Checks element
/// counts and types (ids in [1, 2^53], dicts, strings...) and returns a
/// description of the first problem otherwise.
Expected<Message> make_message(MessageType type, std::span<Value> head, Payload payload);

} // namespace nexus::wamp
