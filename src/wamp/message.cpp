#include <nexus/wamp/message.hpp>

#include <string>

namespace nexus::wamp {

std::string_view message_name(MessageType t) noexcept {
    switch (t) {
    case MessageType::hello: return "HELLO";
    case MessageType::welcome: return "WELCOME";
    case MessageType::abort: return "ABORT";
    case MessageType::challenge: return "CHALLENGE";
    case MessageType::authenticate: return "AUTHENTICATE";
    case MessageType::goodbye: return "GOODBYE";
    case MessageType::error: return "ERROR";
    case MessageType::publish: return "PUBLISH";
    case MessageType::published: return "PUBLISHED";
    case MessageType::subscribe: return "SUBSCRIBE";
    case MessageType::subscribed: return "SUBSCRIBED";
    case MessageType::unsubscribe: return "UNSUBSCRIBE";
    case MessageType::unsubscribed: return "UNSUBSCRIBED";
    case MessageType::event: return "EVENT";
    case MessageType::call: return "CALL";
    case MessageType::cancel: return "CANCEL";
    case MessageType::result: return "RESULT";
    case MessageType::register_: return "REGISTER";
    case MessageType::registered: return "REGISTERED";
    case MessageType::unregister: return "UNREGISTER";
    case MessageType::unregistered: return "UNREGISTERED";
    case MessageType::invocation: return "INVOCATION";
    case MessageType::interrupt: return "INTERRUPT";
    case MessageType::yield: return "YIELD";
    }
    return "UNKNOWN";
}

bool is_known_message_type(std::uint64_t code) noexcept {
    return code <= 70 && message_name(static_cast<MessageType>(code)) != "UNKNOWN";
}

MessageType message_type(const Message& m) noexcept {
    return std::visit([](const auto& x) { return std::decay_t<decltype(x)>::type; }, m);
}

const Payload* payload_of(const Message& m) noexcept {
    return std::visit(
        [](const auto& x) -> const Payload* {
            if constexpr (requires { x.payload; })
                return &x.payload;
            else
                return nullptr;
        },
        m);
}

Payload* payload_of(Message& m) noexcept {
    return const_cast<Payload*>(payload_of(static_cast<const Message&>(m)));
}

std::optional<std::size_t> payload_position(MessageType t) noexcept {
    switch (t) {
    case MessageType::abort: return 3;
    case MessageType::error: return 5;
    case MessageType::publish: return 4;
    case MessageType::event: return 4;
    case MessageType::call: return 4;
    case MessageType::result: return 3;
    case MessageType::invocation: return 4;
    case MessageType::yield: return 3;
    default: return std::nullopt;
    }
}

namespace {

// Reads the head elements of one message in order, remembering the first
// problem so that the builders below stay a flat list of fields.
class HeadReader {
public:
    HeadReader(MessageType type, std::span<Value> head) : type_(type), head_(head) {}

    bool expect_count(std::size_t min, std::size_t max) {
        const std::size_t n = head_.size() + 1; // the type code is element 0
        if (n >= min + 1 && n <= max + 1) return true;
        std::string want = std::to_string(min + 1);
        if (max != min) want += " to " + std::to_string(max + 1);
        fail("has " + std::to_string(n) + " elements, expected " + want);
        return false;
    }

    Id id(std::string_view field) {
        Value& v = next();
        if (auto u = v.to_uint(); u && is_valid_id(*u)) return *u;
        fail_field(field, "an id in [1, 2^53]", v);
        return 0;
    }

    /// An id, or 0 (the revocation forms of UNSUBSCRIBED/UNREGISTERED).
    Id id_or_zero(std::string_view field) {
        Value& v = next();
        if (auto u = v.to_uint(); u && (*u == 0 || is_valid_id(*u))) return *u;
        fail_field(field, "an id in [0, 2^53]", v);
        return 0;
    }

    std::uint64_t integer(std::string_view field) {
        Value& v = next();
        if (auto u = v.to_uint()) return *u;
        fail_field(field, "a non-negative integer", v);
        return 0;
    }

    std::string string(std::string_view field) {
        Value& v = next();
        if (std::string* s = v.if_string()) return std::move(*s);
        fail_field(field, "a string", v);
        return {};
    }

    Object dict(std::string_view field) {
        Value& v = next();
        if (Object* o = v.if_object()) return std::move(*o);
        fail_field(field, "a dict", v);
        return {};
    }

    bool more() const { return pos_ < head_.size(); }
    bool ok() const { return error_.empty(); }
    Failure failure() const { return Failure{error_}; }

private:
    Value& next() { return head_[pos_++]; }

    void fail(std::string what) {
        if (error_.empty()) error_ = std::string(message_name(type_)) + " " + std::move(what);
    }

    void fail_field(std::string_view field, std::string_view expected, const Value& got) {
        fail("element " + std::to_string(pos_) + " (" + std::string(field) + ") must be " +
             std::string(expected) + ", got " + std::string(got.kind_name()));
    }

    MessageType type_;
    std::span<Value> head_;
    std::size_t pos_ = 0;
    std::string error_;
};

template <class M> Expected<Message> finish(HeadReader& r, M&& m) {
    if (!r.ok()) return r.failure();
    return Message(std::forward<M>(m));
}

} // namespace

Expected<Message> make_message(MessageType type, std::span<Value> head, Payload payload) {
    HeadReader r(type, head);
    // Element counts without the payload; the payload adds up to two more,
    // which the decoders already bounded.
    const auto fixed = [&](std::size_t n) { return r.expect_count(n, n); };

    switch (type) {
    case MessageType::hello: {
        if (!fixed(2)) return r.failure();
        Hello m;
        m.realm = r.string("Realm");
        m.details = r.dict("Details");
        return finish(r, std::move(m));
    }
    case MessageType::welcome: {
        if (!fixed(2)) return r.failure();
        Welcome m;
        m.session = r.id("Session");
        m.details = r.dict("Details");
        return finish(r, std::move(m));
    }
    case MessageType::abort: {
        if (!fixed(2)) return r.failure();
        Abort m;
        m.details = r.dict("Details");
        m.reason = r.string("Reason");
        m.payload = std::move(payload);
        return finish(r, std::move(m));
    }
    case MessageType::challenge: {
        if (!fixed(2)) return r.failure();
        Challenge m;
        m.authmethod = r.string("AuthMethod");
        m.extra = r.dict("Extra");
        return finish(r, std::move(m));
    }
    case MessageType::authenticate: {
        if (!fixed(2)) return r.failure();
        Authenticate m;
        m.signature = r.string("Signature");
        m.extra = r.dict("Extra");
        return finish(r, std::move(m));
    }
    case MessageType::goodbye: {
        if (!fixed(2)) return r.failure();
        Goodbye m;
        m.details = r.dict("Details");
        m.reason = r.string("Reason");
        return finish(r, std::move(m));
    }
    case MessageType::error: {
        if (!fixed(4)) return r.failure();
        Error m;
        const std::uint64_t request_type = r.integer("REQUEST.Type");
        if (r.ok() && !is_known_message_type(request_type))
            return Failure{"ERROR element 1 (REQUEST.Type) is not a message type: " +
                           std::to_string(request_type)};
        m.request_type = static_cast<MessageType>(request_type);
        m.request = r.id("REQUEST.Request");
        m.details = r.dict("Details");
        m.error = r.string("Error");
        m.payload = std::move(payload);
        return finish(r, std::move(m));
    }
    case MessageType::publish: {
        if (!fixed(3)) return r.failure();
        Publish m;
        m.request = r.id("Request");
        m.options = r.dict("Options");
        m.topic = r.string("Topic");
        m.payload = std::move(payload);
        return finish(r, std::move(m));
    }
    case MessageType::published: {
        if (!fixed(2)) return r.failure();
        Published m;
        m.request = r.id("PUBLISH.Request");
        m.publication = r.id("Publication");
        return finish(r, std::move(m));
    }
    case MessageType::subscribe: {
        if (!fixed(3)) return r.failure();
        Subscribe m;
        m.request = r.id("Request");
        m.options = r.dict("Options");
        m.topic = r.string("Topic");
        return finish(r, std::move(m));
    }
    case MessageType::subscribed: {
        if (!fixed(2)) return r.failure();
        Subscribed m;
        m.request = r.id("SUBSCRIBE.Request");
        m.subscription = r.id("Subscription");
        return finish(r, std::move(m));
    }
    case MessageType::unsubscribe: {
        if (!fixed(2)) return r.failure();
        Unsubscribe m;
        m.request = r.id("Request");
        m.subscription = r.id("SUBSCRIBED.Subscription");
        return finish(r, std::move(m));
    }
    case MessageType::unsubscribed:
    case MessageType::unregistered: {
        if (!r.expect_count(1, 2)) return r.failure();
        const bool revocation = head.size() == 2;
        const Id request = revocation ? r.id_or_zero("Request") : r.id("Request");
        std::optional<Object> details;
        if (revocation) details = r.dict("Details");
        if (!r.ok()) return r.failure();
        if (type == MessageType::unsubscribed) return Message(Unsubscribed{request, details});
        return Message(Unregistered{request, details});
    }
    case MessageType::event: {
        if (!fixed(3)) return r.failure();
        Event m;
        m.subscription = r.id("SUBSCRIBED.Subscription");
        m.publication = r.id("PUBLISHED.Publication");
        m.details = r.dict("Details");
        m.payload = std::move(payload);
        return finish(r, std::move(m));
    }
    case MessageType::call: {
        if (!fixed(3)) return r.failure();
        Call m;
        m.request = r.id("Request");
        m.options = r.dict("Options");
        m.procedure = r.string("Procedure");
        m.payload = std::move(payload);
        return finish(r, std::move(m));
    }
    case MessageType::cancel: {
        if (!fixed(2)) return r.failure();
        Cancel m;
        m.request = r.id("CALL.Request");
        m.options = r.dict("Options");
        return finish(r, std::move(m));
    }
    case MessageType::result: {
        if (!fixed(2)) return r.failure();
        Result m;
        m.request = r.id("CALL.Request");
        m.details = r.dict("Details");
        m.payload = std::move(payload);
        return finish(r, std::move(m));
    }
    case MessageType::register_: {
        if (!fixed(3)) return r.failure();
        Register m;
        m.request = r.id("Request");
        m.options = r.dict("Options");
        m.procedure = r.string("Procedure");
        return finish(r, std::move(m));
    }
    case MessageType::registered: {
        if (!fixed(2)) return r.failure();
        Registered m;
        m.request = r.id("REGISTER.Request");
        m.registration = r.id("Registration");
        return finish(r, std::move(m));
    }
    case MessageType::unregister: {
        if (!fixed(2)) return r.failure();
        Unregister m;
        m.request = r.id("Request");
        m.registration = r.id("REGISTERED.Registration");
        return finish(r, std::move(m));
    }
    case MessageType::invocation: {
        if (!fixed(3)) return r.failure();
        Invocation m;
        m.request = r.id("Request");
        m.registration = r.id("REGISTERED.Registration");
        m.details = r.dict("Details");
        m.payload = std::move(payload);
        return finish(r, std::move(m));
    }
    case MessageType::interrupt: {
        if (!fixed(2)) return r.failure();
        Interrupt m;
        m.request = r.id("INVOCATION.Request");
        m.options = r.dict("Options");
        return finish(r, std::move(m));
    }
    case MessageType::yield: {
        if (!fixed(2)) return r.failure();
        Yield m;
        m.request = r.id("INVOCATION.Request");
        m.options = r.dict("Options");
        m.payload = std::move(payload);
        return finish(r, std::move(m));
    }
    }
    return Failure{"unknown message type " + std::to_string(static_cast<unsigned>(type))};
}

} // namespace nexus::wamp
