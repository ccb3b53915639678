// The envelopes cluster nodes exchange, batches of them (one bus message for
// several envelopes to one subject), and the Outbox that sizes batches by the
// bus's largest payload (router/cluster/envelope.hpp, outbox.hpp). What a node
// does with a batch from the bus is in router_cluster_test.cpp.
#include "router/cluster/envelope.hpp"
#include "router/cluster/outbox.hpp"

#include <nexus/serialize/serializer.hpp>

#include <gtest/gtest.h>

#include <functional>
#include <random>
#include <set>

using namespace nexus;
using namespace nexus::router::cluster;
using wamp::Array;
using wamp::Value;

namespace {

std::string encoded(Kind kind, const Array& head, const wamp::Message* message = nullptr) {
    auto bytes = encode(kind, head, message);
    EXPECT_TRUE(bytes) << bytes.error().message;
    return bytes ? *bytes : std::string();
}

/// Three envelopes of different shapes: without a message, with an EVENT whose
/// payload is raw JSON, with an INVOCATION whose payload is values.
std::vector<std::string> sample_envelopes() {
    auto json_event = serialize::decode(wamp::Format::json, R"([36, 5, 6, {}, ["hi", 1]])");
    EXPECT_TRUE(json_event);
    const wamp::Message invocation =
        wamp::Invocation{7, 8, {}, wamp::Payload(Array{"x", Value(std::uint64_t{9})})};
    return {
        encoded(Kind::heartbeat, {Value("n1"), Value(std::uint64_t{1}), Value(std::uint64_t{2})}),
        encoded(Kind::event, {Value("n1"), Value(std::uint64_t{1}), Value("realm1"), Value("t")},
                &*json_event),
        encoded(Kind::invocation,
                {Value("n1"), Value(std::uint64_t{1}), Value("realm1"), Value("n2")}, &invocation)};
}

std::string batch_of(const std::vector<std::string>& envelopes) {
    std::vector<std::string_view> views(envelopes.begin(), envelopes.end());
    return encode_batch(views);
}

/// A batch header [batch, header_after_kind...] followed by `body_after_header`.
std::string with_header(const Array& header_after_kind, std::string_view body_after_header) {
    std::string out = encoded(Kind::batch, header_after_kind);
    out.append(body_after_header);
    return out;
}

/// The envelopes (from the body on) of a batch.
std::string body_of(const std::string& batch) { return batch.substr(batch_header_size()); }

} // namespace

TEST(ClusterBatch, RoundTripKeepsEveryEnvelopeInOrder) {
    const auto envelopes = sample_envelopes();
    auto bytes = std::make_shared<const std::string>(batch_of(envelopes));
    EXPECT_EQ(bytes->size(), batch_header_size() + 3 * batch_entry_overhead + envelopes[0].size() +
                                 envelopes[1].size() + envelopes[2].size());

    // Seen as one envelope, a batch says only what it is.
    auto outer = decode(bytes);
    ASSERT_TRUE(outer) << outer.error().message;
    EXPECT_EQ(outer->kind, Kind::batch);

    auto parts = split_batch(*bytes);
    ASSERT_TRUE(parts) << parts.error().message;
    ASSERT_EQ(parts->size(), 3u);
    for (std::size_t i = 0; i < 3; ++i)
        EXPECT_EQ((*parts)[i], envelopes[i]) << i;

    auto first = decode(bytes, (*parts)[0]);
    ASSERT_TRUE(first);
    EXPECT_EQ(first->kind, Kind::heartbeat);
    EXPECT_EQ(first->head, (Array{"n1", 1, 2}));
    EXPECT_FALSE(first->message);

    // Payloads stay as they came, slices of the batch.
    auto second = decode(bytes, (*parts)[1]);
    ASSERT_TRUE(second);
    EXPECT_EQ(second->kind, Kind::event);
    ASSERT_TRUE(second->message);
    auto& event = std::get<wamp::Event>(*second->message);
    EXPECT_TRUE(event.payload.raw_format() == wamp::Format::json);
    EXPECT_EQ(event.payload.args(), (Array{"hi", 1}));
    EXPECT_GE(event.payload.raw_args().data(), bytes->data());
    EXPECT_LE(event.payload.raw_args().data() + event.payload.raw_args().size(),
              bytes->data() + bytes->size());

    auto third = decode(bytes, (*parts)[2]);
    ASSERT_TRUE(third);
    EXPECT_EQ(third->kind, Kind::invocation);
    EXPECT_EQ(third->head, (Array{"n1", 1, "realm1", "n2"}));
    ASSERT_TRUE(third->message);
    EXPECT_EQ(std::get<wamp::Invocation>(*third->message).payload.args(), (Array{"x", 9}));
}

TEST(ClusterBatch, MalformedBatchesAreRefused) {
    const auto envelopes = sample_envelopes();
    const std::string good = batch_of(envelopes);
    ASSERT_TRUE(split_batch(good));
    const std::string body = body_of(good);

    auto refused = [](const std::string& bytes, const std::string& why) {
        auto r = split_batch(bytes);
        EXPECT_FALSE(r) << why;
        if (!r) {
            EXPECT_FALSE(r.error().message.empty());
        }
    };
    refused("", "empty");
    refused(std::string("\0\0\0", 3), "shorter than a header");
    refused(std::string("\xff\xff\xff\xff\0", 5), "header length beyond the bytes");
    refused(with_header({}, body), "no version");
    refused(with_header({Value(std::uint64_t{2})}, body), "a version from the future");
    refused(with_header({Value(std::uint64_t{0})}, body), "version 0");
    refused(with_header({Value("1")}, body), "a version that is not a number");
    refused(encoded(Kind::event, {Value(std::uint64_t{1})}) + body, "another kind");
    refused(batch_of({}), "no envelope");
    refused(good + std::string("\0\0", 2), "a truncated length after the last envelope");
    refused(good + std::string("\0\0\0\x09xy", 6), "an envelope longer than the rest");
    {
        // A format byte where "no message" belongs.
        std::string bad = good;
        bad[batch_header_size() - 1] = 1;
        refused(bad, "a message in the batch header");
    }
    {
        // A length that overflows when added to the offset.
        std::string bad = good;
        const std::size_t at = batch_header_size();
        for (std::size_t i = 0; i < 4; ++i)
            bad[at + i] = '\xff';
        refused(bad, "a huge envelope length");
    }
}

TEST(ClusterBatch, EveryTruncationIsRefusedOrAWholePrefix) {
    const auto envelopes = sample_envelopes();
    const std::string good = batch_of(envelopes);
    // A cut between two envelopes leaves a well-formed shorter batch (the bus
    // never cuts messages; this shows a cut anywhere else is caught).
    std::set<std::size_t> boundaries;
    std::size_t at = batch_header_size();
    for (const std::string& e : envelopes) {
        at += batch_entry_overhead + e.size();
        boundaries.insert(at);
    }
    for (std::size_t n = 0; n < good.size(); ++n) {
        auto r = split_batch(std::string_view(good).substr(0, n));
        if (!boundaries.count(n)) {
            EXPECT_FALSE(r) << "cut at " << n;
            continue;
        }
        ASSERT_TRUE(r) << "cut at " << n;
        for (std::size_t i = 0; i < r->size(); ++i)
            EXPECT_EQ((*r)[i], envelopes[i]);
    }
}

TEST(ClusterBatch, CorruptedBytesNeverEscapeTheBatch) {
    const std::string good = batch_of(sample_envelopes());
    std::mt19937 random(15);
    for (int round = 0; round < 3000; ++round) {
        auto bytes = std::make_shared<std::string>(good);
        const int flips = 1 + round % 4;
        for (int i = 0; i < flips; ++i)
            (*bytes)[random() % bytes->size()] = static_cast<char>(random());
        auto parts = split_batch(*bytes);
        if (!parts) continue;
        std::shared_ptr<const std::string> frame = bytes;
        for (std::string_view part : *parts) {
            ASSERT_GE(part.data(), frame->data());
            ASSERT_LE(part.data() + part.size(), frame->data() + frame->size());
            auto e = decode(frame, part); // may fail; must not crash or read outside
            if (e && e->message)
                if (auto* p = wamp::payload_of(*e->message)) (void)p->args();
        }
    }
}

// --- Outbox -----------------------------------------------------------------------------

namespace {

struct Published {
    std::string subject;
    std::string payload;
};

/// An Outbox that records what it publishes (refusing what `refuse` says).
struct Recorder {
    std::vector<Published> published;
    std::function<bool(const Published&)> refuse = [](const Published&) { return false; };
    Outbox outbox(std::size_t max_payload) {
        return Outbox(max_payload, [this](const std::string& subject, std::string_view payload) {
            published.push_back({subject, std::string(payload)});
            return !refuse(published.back());
        });
    }
    /// The envelopes that went to `subject`, batches unpacked, in order.
    std::vector<std::string> envelopes_to(const std::string& subject) const {
        std::vector<std::string> out;
        for (const Published& p : published) {
            if (p.subject != subject) continue;
            auto bytes = std::make_shared<const std::string>(p.payload);
            auto e = decode(bytes);
            EXPECT_TRUE(e);
            if (e && e->kind == Kind::batch) {
                auto parts = split_batch(p.payload);
                EXPECT_TRUE(parts);
                if (parts) out.insert(out.end(), parts->begin(), parts->end());
            } else {
                out.push_back(p.payload);
            }
        }
        return out;
    }
};

/// A heartbeat envelope of exactly `size` bytes (its node name, `n` padded,
/// grows to fit).
std::shared_ptr<const std::string> envelope_of_size(std::size_t size, int n) {
    for (std::string name = std::to_string(n); name.size() < size; name.push_back('.')) {
        auto bytes = encoded(Kind::heartbeat, {Value(name), Value(std::uint64_t{1})});
        if (bytes.size() == size) return std::make_shared<const std::string>(bytes);
    }
    ADD_FAILURE() << "no envelope of " << size << " bytes";
    return std::make_shared<const std::string>();
}

} // namespace

TEST(ClusterOutbox, OneMessagePerSubjectInOrder) {
    Recorder r;
    Outbox outbox = r.outbox(1024 * 1024);
    std::vector<std::string> to_a, to_b;
    for (int i = 0; i < 10; ++i) {
        auto e = envelope_of_size(40, i);
        const bool a = i % 3 != 0;
        outbox.add(a ? "a" : "b", e, true);
        (a ? to_a : to_b).push_back(*e);
    }
    EXPECT_EQ(outbox.flush(), 0u);
    // Subjects in the order they were first used: b (i = 0) before a.
    ASSERT_EQ(r.published.size(), 2u);
    EXPECT_EQ(r.published[0].subject, "b");
    EXPECT_EQ(r.published[1].subject, "a");
    EXPECT_EQ(r.envelopes_to("a"), to_a);
    EXPECT_EQ(r.envelopes_to("b"), to_b);
    // Flushed: nothing goes twice.
    EXPECT_EQ(outbox.flush(), 0u);
    EXPECT_EQ(r.published.size(), 2u);
}

TEST(ClusterOutbox, SplitsAtTheLargestPayloadExactly) {
    constexpr std::size_t envelope = 100;
    const std::size_t per_entry = batch_entry_overhead + envelope;
    // Exactly three envelopes fit in a batch; a fourth would pass by one byte.
    const std::size_t max_payload = batch_header_size() + 3 * per_entry;
    for (std::size_t limit : {max_payload, max_payload + per_entry - 1}) {
        Recorder r;
        Outbox outbox = r.outbox(limit);
        std::vector<std::string> sent;
        for (int i = 0; i < 10; ++i) {
            auto e = envelope_of_size(envelope, i);
            ASSERT_EQ(e->size(), envelope);
            outbox.add("s", e, true);
            sent.push_back(*e);
        }
        EXPECT_EQ(outbox.flush(), 0u);
        // 3 + 3 + 3 + the last one alone (a batch of one is the envelope itself).
        ASSERT_EQ(r.published.size(), 4u) << "limit " << limit;
        for (std::size_t i = 0; i < 3; ++i)
            EXPECT_EQ(r.published[i].payload.size(), max_payload);
        EXPECT_EQ(r.published[3].payload, sent.back());
        for (const Published& p : r.published)
            EXPECT_LE(p.payload.size(), limit);
        EXPECT_EQ(r.envelopes_to("s"), sent);
    }
}

TEST(ClusterOutbox, AnEnvelopeTooBigForABatchGoesAloneInItsPlace) {
    constexpr std::size_t max_payload = 300;
    Recorder r;
    Outbox outbox = r.outbox(max_payload);
    std::vector<std::string> sent;
    // small, small, one that fits alone but not in a batch, small, one the
    // bus will refuse, small, small
    for (std::size_t size : {50, 50, 297, 50, 400, 50, 50}) {
        auto e = envelope_of_size(size, static_cast<int>(sent.size()));
        outbox.add("s", e, true);
        sent.push_back(*e);
    }
    r.refuse = [&](const Published& p) { return p.payload.size() > max_payload; };
    EXPECT_EQ(outbox.flush(), 1u);
    const std::size_t two_small = batch_header_size() + 2 * (batch_entry_overhead + 50);
    ASSERT_EQ(r.published.size(), 5u);
    EXPECT_EQ(r.published[0].payload.size(), two_small);
    EXPECT_EQ(r.published[1].payload, sent[2]);
    EXPECT_EQ(r.published[2].payload, sent[3]); // alone: the next one does not fit with it
    EXPECT_EQ(r.published[3].payload, sent[4]); // refused, counted
    EXPECT_EQ(r.published[4].payload.size(), two_small);
    EXPECT_EQ(r.envelopes_to("s"), sent);
}

TEST(ClusterOutbox, ReceiversThatReadNoBatchesAndUnknownLimitsGetEnvelopesAlone) {
    for (const bool batchable : {false, true}) {
        Recorder r;
        Outbox outbox = r.outbox(batchable ? 0 : 1024 * 1024);
        std::vector<std::string> sent;
        for (int i = 0; i < 5; ++i) {
            auto e = envelope_of_size(60, i);
            outbox.add("s", e, batchable);
            sent.push_back(*e);
        }
        EXPECT_EQ(outbox.flush(), 0u);
        ASSERT_EQ(r.published.size(), 5u);
        for (std::size_t i = 0; i < 5; ++i)
            EXPECT_EQ(r.published[i].payload, sent[i]);
    }
}

TEST(ClusterOutbox, ARefusedBatchCountsEveryEnvelopeInIt) {
    Recorder r;
    Outbox outbox = r.outbox(1024 * 1024);
    for (int i = 0; i < 7; ++i)
        outbox.add("s", envelope_of_size(60, i), true);
    outbox.add("t", envelope_of_size(60, 7), true);
    r.refuse = [](const Published& p) { return p.subject == "s"; };
    EXPECT_EQ(outbox.flush(), 7u);
    EXPECT_EQ(r.published.size(), 2u);
}
