// Payload pass-through and transcoding across every pair of serializers.
#include <nexus/serialize/serializer.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

using namespace nexus;
using wamp::Array;
using wamp::Bytes;
using wamp::Format;
using wamp::Object;
using wamp::Payload;
using wamp::Value;

namespace {

Value nested(int depth) {
    Value v = Value::array({"bottom"});
    for (int i = 1; i < depth; ++i)
        v = Value(Array{v});
    return v;
}

// Everything a payload can hold that the formats represent differently.
Payload tricky_payload() {
    Array args{
        nullptr,
        true,
        false,
        0,
        -1,
        std::numeric_limits<std::int64_t>::min(),
        std::numeric_limits<std::int64_t>::max(),
        std::numeric_limits<std::uint64_t>::max(),
        wamp::max_id,
        0.1,
        -2.5e-300,
        1e300,
        1.0,
        "",
        "plain ascii",
        "unicode: \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80 \"quoted\" back\\slash \n\t",
        Bytes{},
        Bytes{0x00, 0x10, 0xe3, 0xff, 0x90},
        Value::array(),
        Value::object(),
        nested(50),
    };
    Object kwargs{
        {"bytes", Bytes{0xde, 0xad, 0xbe, 0xef}},
        {"emoji \xf0\x9f\x9a\x80", "key with unicode"},
        {"list", Value{1, "two", 3.0, Value{{"k", nullptr}}}},
    };
    return Payload(std::move(args), std::move(kwargs));
}

std::string format_pair(Format a, Format b) {
    return std::string(wamp::format_name(a)) + "->" + std::string(wamp::format_name(b));
}

wamp::Message round(Format from, Format to, const wamp::Message& original) {
    auto first = serialize::encode(from, original);
    EXPECT_TRUE(first.ok()) << first.error().message;
    auto decoded = serialize::decode(from, *first);
    EXPECT_TRUE(decoded.ok()) << decoded.error().message;
    auto second = serialize::encode(to, *decoded);
    EXPECT_TRUE(second.ok()) << second.error().message;
    auto again = serialize::decode(to, *second);
    EXPECT_TRUE(again.ok()) << again.error().message;
    return *again;
}

std::vector<wamp::Message> messages_with(const Payload& p) {
    const Object details{{"topic", "com.example.t"}, {"n", 1}};
    return {
        wamp::Event{1, 2, details, p},
        wamp::Call{3, details, "com.example.proc", p},
        wamp::Result{3, details, p},
        wamp::Invocation{4, 5, details, p},
        wamp::Yield{4, details, p},
        wamp::Error{wamp::MessageType::call, 3, details, "com.example.error", p},
        wamp::Publish{6, details, "com.example.t", p},
        wamp::Abort{details, "wamp.error.protocol_violation", p},
    };
}

} // namespace

TEST(Transcode, EveryPairPreservesTrickyValues) {
    const Payload p = tricky_payload();
    for (Format from : wamp::all_formats) {
        for (Format to : wamp::all_formats) {
            for (const wamp::Message& m : messages_with(p)) {
                wamp::Message out = round(from, to, m);
                EXPECT_EQ(out, m) << format_pair(from, to) << " "
                                  << wamp::message_name(wamp::message_type(m));
            }
        }
    }
}

TEST(Transcode, EmptyAndAbsentArgumentsStayDistinct) {
    const std::vector<Payload> payloads = {
        Payload(),
        Payload(Array{1}),
        Payload(Array{}, Object{{"k", 1}}),
        Payload(Array{1}, Object{{"k", 1}}),
    };
    for (Format from : wamp::all_formats) {
        for (Format to : wamp::all_formats) {
            for (const Payload& p : payloads) {
                wamp::Message out = round(from, to, wamp::Event{1, 2, {}, p});
                const Payload& q = std::get<wamp::Event>(out).payload;
                EXPECT_EQ(q.has_args(), p.has_args()) << format_pair(from, to);
                EXPECT_EQ(q.has_kwargs(), p.has_kwargs()) << format_pair(from, to);
                EXPECT_EQ(q, p) << format_pair(from, to);
            }
        }
    }
}

// The Go nexus client (and others) send null Arguments when a message has
// only keyword arguments, and null ArgumentsKw after Arguments: both read as
// absent, in every format, and are forwarded as [] and nothing.
TEST(Transcode, NullArgumentsReadAsAbsent) {
    const Value kw = Value(Object{{"a", 1}});
    struct Case {
        Array frame;
        bool args, kwargs;
    };
    const Case cases[] = {
        {Array{48, 1, Object{}, "com.p", nullptr, kw}, false, true},
        {Array{48, 1, Object{}, "com.p", nullptr}, false, false},
        {Array{48, 1, Object{}, "com.p", nullptr, nullptr}, false, false},
        {Array{48, 1, Object{}, "com.p", Array{1}, nullptr}, true, false},
        {Array{16, 1, Object{}, "com.t", nullptr, kw}, false, true},
        {Array{70, 1, Object{}, nullptr, kw}, false, true},
        {Array{8, 68, 1, Object{}, "com.e", nullptr, kw}, false, true},
    };
    for (Format f : wamp::all_formats) {
        for (const Case& c : cases) {
            std::string bytes;
            ASSERT_TRUE(serialize::encode_value_into(f, Value(c.frame), bytes).ok());
            auto m = serialize::decode(f, bytes);
            ASSERT_TRUE(m.ok()) << wamp::format_name(f) << ": " << m.error().message;
            const Payload* p = wamp::payload_of(*m);
            ASSERT_NE(p, nullptr);
            EXPECT_EQ(p->has_args(), c.args) << wamp::format_name(f);
            EXPECT_EQ(p->has_kwargs(), c.kwargs) << wamp::format_name(f);
            if (c.kwargs) {
                EXPECT_EQ(p->kwargs(), kw.as_object());
            }
            // Forwarded in the same format and in every other one: a list
            // where the null was, when kwargs follow.
            for (Format to : wamp::all_formats) {
                auto again = serialize::encode(to, *m);
                ASSERT_TRUE(again.ok());
                auto back = serialize::decode_value(to, *again);
                ASSERT_TRUE(back.ok());
                const Array& elements = back->as_array();
                const std::size_t at = *wamp::payload_position(wamp::message_type(*m));
                if (c.kwargs) {
                    ASSERT_EQ(elements.size(), at + 2);
                    EXPECT_EQ(elements[at], Value(Array{}));
                    EXPECT_EQ(elements[at + 1], kw);
                } else {
                    EXPECT_EQ(elements.size(), c.args ? at + 1 : at);
                }
            }
        }
    }
    // Still refused: a payload element of any other wrong type.
    for (Format f : wamp::all_formats) {
        std::string bytes;
        ASSERT_TRUE(
            serialize::encode_value_into(f, Value(Array{48, 1, Object{}, "com.p", 5, kw}), bytes)
                .ok());
        EXPECT_FALSE(serialize::decode(f, bytes).ok()) << wamp::format_name(f);
    }
}

TEST(Transcode, SameFormatForwardingIsByteIdentical) {
    for (Format f : wamp::all_formats) {
        auto wire = serialize::encode(f, wamp::Event{1, 2, {}, tricky_payload()});
        ASSERT_TRUE(wire.ok());
        auto decoded = serialize::decode(f, *wire);
        ASSERT_TRUE(decoded.ok()) << decoded.error().message;
        const Payload& p = std::get<wamp::Event>(*decoded).payload;
        ASSERT_EQ(p.raw_format(), f);
        // Forward as a different message type, as a router does (CALL -> INVOCATION etc.):
        // the payload bytes must appear unchanged in the output.
        wamp::Invocation inv{9, 8, {}, p};
        auto forwarded = serialize::encode(f, inv);
        ASSERT_TRUE(forwarded.ok());
        EXPECT_NE(forwarded->find(std::string(p.raw_args())), std::string::npos)
            << wamp::format_name(f);
        EXPECT_NE(forwarded->find(std::string(p.raw_kwargs())), std::string::npos)
            << wamp::format_name(f);
        // And re-encoding the same message reproduces the frame exactly.
        auto again = serialize::encode(f, *decoded);
        ASSERT_TRUE(again.ok());
        EXPECT_EQ(*again, *wire) << wamp::format_name(f);
    }
}

TEST(Transcode, RawPayloadOutlivesTheCallersBuffer) {
    for (Format f : wamp::all_formats) {
        wamp::Message kept;
        {
            auto wire = serialize::encode(f, wamp::Call{1, {}, "p", Payload(Array{"alive"})});
            ASSERT_TRUE(wire.ok());
            auto decoded = serialize::decode(f, *wire);
            ASSERT_TRUE(decoded.ok());
            kept = std::move(*decoded);
            wire->assign(wire->size(), 'X'); // the decoder copied what it keeps
        }
        EXPECT_EQ(wamp::payload_of(kept)->args(), (Array{"alive"}));
    }
}

TEST(Transcode, JsonCannotCarryNonFiniteNumbers) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double inf = std::numeric_limits<double>::infinity();
    for (double bad : {nan, inf, -inf}) {
        auto r = serialize::encode(Format::json, wamp::Yield{1, {}, Payload(Array{bad})});
        EXPECT_FALSE(r.ok());
        for (Format f : {Format::msgpack, Format::cbor}) {
            auto ok = serialize::encode(f, wamp::Yield{1, {}, Payload(Array{bad})});
            ASSERT_TRUE(ok.ok());
            auto back = serialize::decode(f, *ok);
            ASSERT_TRUE(back.ok());
            const double d = wamp::payload_of(*back)->args().at(0).as_double();
            if (std::isnan(bad))
                EXPECT_TRUE(std::isnan(d));
            else
                EXPECT_EQ(d, bad);
            // A NaN that arrived in MessagePack cannot be forwarded to a JSON peer.
            EXPECT_FALSE(serialize::encode(Format::json, *back).ok());
        }
    }
}

TEST(Transcode, EveryMessageTypeRoundTripsInEveryFormat) {
    const Object d{{"x", 1}};
    const std::vector<wamp::Message> all = {
        wamp::Hello{"realm1", {{"roles", Value{{"caller", Value::object()}}}}},
        wamp::Welcome{wamp::max_id, d},
        wamp::Abort{d, "wamp.error.no_such_realm", {}},
        wamp::Challenge{"wampcra", {{"challenge", "{}"}}},
        wamp::Authenticate{"signature", {}},
        wamp::Goodbye{{}, "wamp.close.goodbye_and_out"},
        wamp::Error{wamp::MessageType::invocation, 5, {}, "wamp.error.canceled", {}},
        wamp::Publish{1, {{"acknowledge", true}}, "t", Payload(Array{1})},
        wamp::Published{1, 2},
        wamp::Subscribe{2, {{"match", "prefix"}}, "com."},
        wamp::Subscribed{2, 3},
        wamp::Unsubscribe{3, 3},
        wamp::Unsubscribed{3, std::nullopt},
        wamp::Unsubscribed{0, Object{{"subscription", 3}, {"reason", "gone"}}},
        wamp::Event{3, 4, {}, {}},
        wamp::Call{4, {}, "p", {}},
        wamp::Cancel{4, {{"mode", "kill"}}},
        wamp::Result{4, {{"progress", true}}, {}},
        wamp::Register{5, {}, "p"},
        wamp::Registered{5, 6},
        wamp::Unregister{6, 6},
        wamp::Unregistered{6, std::nullopt},
        wamp::Unregistered{0, Object{{"registration", 6}}},
        wamp::Invocation{7, 6, {}, {}},
        wamp::Interrupt{7, {{"mode", "killnowait"}}},
        wamp::Yield{7, {}, {}},
    };
    for (Format f : wamp::all_formats) {
        for (const wamp::Message& m : all) {
            auto wire = serialize::encode(f, m);
            ASSERT_TRUE(wire.ok()) << wire.error().message;
            auto back = serialize::decode(f, *wire);
            ASSERT_TRUE(back.ok())
                << wamp::format_name(f) << " " << wamp::message_name(wamp::message_type(m)) << ": "
                << back.error().message;
            EXPECT_EQ(*back, m) << wamp::format_name(f) << " "
                                << wamp::message_name(wamp::message_type(m));
        }
    }
}

// A WELCOME with one Details entry spliced in already encoded decodes as if
// the entry had been in Details all along, in every format, with or without
// other entries beside it.
TEST(Transcode, WelcomeWithASplicedEntryDecodesLikeTheWholeWelcome) {
    const Value roles(Object{{"broker", Object{{"features", Object{{"event_history", true}}}}},
                             {"dealer", Object{}}});
    for (Object details : {Object{}, Object{{"authid", "ü-joe"}, {"realm", "realm1"}}}) {
        for (Format format : wamp::all_formats) {
            std::string encoded_roles;
            ASSERT_TRUE(serialize::encode_value_into(format, roles, encoded_roles).ok());
            std::string out;
            const wamp::Welcome welcome{12345, details};
            ASSERT_TRUE(
                serialize::encode_welcome_into(format, welcome, "roles", encoded_roles, out).ok());
            auto decoded = serialize::decode(format, out);
            ASSERT_TRUE(decoded.ok()) << decoded.error().message;
            wamp::Welcome whole = welcome;
            whole.details.emplace("roles", roles);
            EXPECT_EQ(std::get<wamp::Welcome>(*decoded), whole) << wamp::format_name(format);
        }
    }
}
