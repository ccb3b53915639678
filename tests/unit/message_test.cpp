#include <nexus/wamp/message.hpp>

#include <gtest/gtest.h>

#include <vector>

using namespace nexus::wamp;

namespace {

Expected<Message> make(MessageType t, std::vector<Value> head, Payload p = {}) {
    return make_message(t, head, std::move(p));
}

} // namespace

TEST(Message, NamesAndCodes) {
    EXPECT_EQ(message_name(MessageType::register_), "REGISTER");
    EXPECT_EQ(message_name(static_cast<MessageType>(7)), "UNKNOWN");
    EXPECT_TRUE(is_known_message_type(70));
    EXPECT_FALSE(is_known_message_type(7));
    EXPECT_FALSE(is_known_message_type(71));
    EXPECT_FALSE(is_known_message_type(337)); // EVENT_RECEIVED is not in the spec
    int known = 0;
    for (int c = 0; c < 256; ++c)
        known += is_known_message_type(c);
    EXPECT_EQ(known, 24);
}

TEST(Message, PayloadPositions) {
    EXPECT_EQ(payload_position(MessageType::call), 4u);
    EXPECT_EQ(payload_position(MessageType::error), 5u);
    EXPECT_EQ(payload_position(MessageType::yield), 3u);
    EXPECT_EQ(payload_position(MessageType::result), 3u);
    EXPECT_EQ(payload_position(MessageType::abort), 3u);
    EXPECT_FALSE(payload_position(MessageType::subscribe));
}

TEST(Message, BuildsHello) {
    auto m = make(MessageType::hello, {"realm1", Value{{"roles", Value::object()}}});
    ASSERT_TRUE(m.ok()) << m.error().message;
    const auto& hello = std::get<Hello>(*m);
    EXPECT_EQ(hello.realm, "realm1");
    EXPECT_TRUE(hello.details.contains("roles"));
    EXPECT_EQ(message_type(*m), MessageType::hello);
    EXPECT_EQ(payload_of(*m), nullptr);
}

TEST(Message, BuildsCallWithPayload) {
    auto m = make(MessageType::call, {1, Value::object(), "com.x"}, Payload(Array{1, 2}));
    ASSERT_TRUE(m.ok()) << m.error().message;
    const auto* p = payload_of(*m);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->args(), (Array{1, 2}));
    EXPECT_FALSE(p->has_kwargs());
}

TEST(Message, RejectsWrongCounts) {
    auto m = make(MessageType::hello, {"realm1"});
    ASSERT_FALSE(m.ok());
    EXPECT_EQ(m.error().message, "HELLO has 2 elements, expected 3");
    EXPECT_FALSE(make(MessageType::published, {1, 2, 3}).ok());
    EXPECT_FALSE(make(MessageType::unsubscribed, {}).ok());
    EXPECT_FALSE(make(MessageType::unregistered, {1, Value::object(), 3}).ok());
}

TEST(Message, RejectsWrongTypes) {
    auto m = make(MessageType::subscribe, {1, "not a dict", "com.topic"});
    ASSERT_FALSE(m.ok());
    EXPECT_EQ(m.error().message, "SUBSCRIBE element 2 (Options) must be a dict, got string");
    EXPECT_FALSE(make(MessageType::hello, {42, Value::object()}).ok());
    EXPECT_FALSE(make(MessageType::goodbye, {Value::object(), 1}).ok());
    EXPECT_FALSE(make(MessageType::welcome, {"id", Value::object()}).ok());
    EXPECT_FALSE(make(MessageType::cancel, {1, Value::array()}).ok());
}

TEST(Message, IdsMustBeInRange) {
    EXPECT_FALSE(make(MessageType::published, {0, 1}).ok());
    EXPECT_FALSE(make(MessageType::published, {-1, 1}).ok());
    EXPECT_FALSE(make(MessageType::published, {1.0, 1}).ok());
    EXPECT_TRUE(make(MessageType::published, {max_id, 1}).ok());
    EXPECT_FALSE(make(MessageType::published, {max_id + 1, 1}).ok());
}

TEST(Message, RevocationFormsAllowZeroRequest) {
    auto u = make(MessageType::unregistered, {0, Value{{"registration", 5}}});
    ASSERT_TRUE(u.ok()) << u.error().message;
    EXPECT_EQ(std::get<Unregistered>(*u).request, 0u);
    ASSERT_TRUE(std::get<Unregistered>(*u).details.has_value());
    auto s = make(MessageType::unsubscribed, {0, Value{{"subscription", 5}}});
    ASSERT_TRUE(s.ok());
    EXPECT_FALSE(make(MessageType::unsubscribed, {0}).ok()); // the plain form needs a real id
    auto plain = make(MessageType::unsubscribed, {9});
    ASSERT_TRUE(plain.ok());
    EXPECT_FALSE(std::get<Unsubscribed>(*plain).details.has_value());
}

TEST(Message, ErrorRequestTypeMustBeAMessageType) {
    auto ok = make(MessageType::error, {48, 7, Value::object(), "wamp.error.x"});
    ASSERT_TRUE(ok.ok());
    EXPECT_EQ(std::get<Error>(*ok).request_type, MessageType::call);
    auto bad = make(MessageType::error, {7, 7, Value::object(), "wamp.error.x"});
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message.find("REQUEST.Type"), std::string::npos);
}

TEST(Message, EveryTypeBuildsFromAValidHead) {
    const Value d = Value::object();
    struct Case {
        MessageType type;
        std::vector<Value> head;
    };
    const std::vector<Case> cases = {
        {MessageType::hello, {"r", d}},
        {MessageType::welcome, {1, d}},
        {MessageType::abort, {d, "wamp.error.x"}},
        {MessageType::challenge, {"wampcra", d}},
        {MessageType::authenticate, {"sig", d}},
        {MessageType::goodbye, {d, "wamp.close.goodbye_and_out"}},
        {MessageType::error, {68, 1, d, "wamp.error.x"}},
        {MessageType::publish, {1, d, "t"}},
        {MessageType::published, {1, 2}},
        {MessageType::subscribe, {1, d, "t"}},
        {MessageType::subscribed, {1, 2}},
        {MessageType::unsubscribe, {1, 2}},
        {MessageType::unsubscribed, {1}},
        {MessageType::event, {1, 2, d}},
        {MessageType::call, {1, d, "p"}},
        {MessageType::cancel, {1, d}},
        {MessageType::result, {1, d}},
        {MessageType::register_, {1, d, "p"}},
        {MessageType::registered, {1, 2}},
        {MessageType::unregister, {1, 2}},
        {MessageType::unregistered, {1}},
        {MessageType::invocation, {1, 2, d}},
        {MessageType::interrupt, {1, d}},
        {MessageType::yield, {1, d}},
    };
    ASSERT_EQ(cases.size(), 24u);
    for (const auto& c : cases) {
        auto m = make(c.type, c.head);
        ASSERT_TRUE(m.ok()) << message_name(c.type) << ": " << m.error().message;
        EXPECT_EQ(message_type(*m), c.type);
        EXPECT_EQ(payload_of(*m) != nullptr, payload_position(c.type).has_value());
    }
}

TEST(Payload, EmptyArgumentsCountAsAbsent) {
    EXPECT_TRUE(Payload().absent());
    EXPECT_TRUE(Payload(Array{}).absent());
    Payload kw(Array{}, Object{{"a", 1}});
    EXPECT_TRUE(kw.has_args()); // an empty list must precede kwargs on the wire
    EXPECT_TRUE(kw.has_kwargs());
    Payload args_only(Array{1}, Object{});
    EXPECT_TRUE(args_only.has_args());
    EXPECT_FALSE(args_only.has_kwargs());
    EXPECT_EQ(Payload(Array{1}), args_only);
    EXPECT_NE(Payload(Array{1}), Payload(Array{2}));
}
