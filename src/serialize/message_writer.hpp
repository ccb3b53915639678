// The layout of every message as a list, written once for all formats.
//
// A Writer provides:
//   static constexpr wamp::Format format;
//   void begin_list(std::size_t n);   // a list of n elements follows
//   void end_list();                  // closes it (JSON needs it; binary formats don't)
//   void uint(std::uint64_t);
//   void string(std::string_view);    // UTF-8 text
//   void object(const wamp::Object&, const RawEntry* extra = nullptr); // extra: one more
//                                                  // entry, its value already in `format`
//   void value(const wamp::Value&);
//   void raw(std::string_view);       // one complete element already in `format`
//   void fail(std::string message);   // records the first failure
//   Status status() const;
// Elements are written in order; the writer inserts separators itself.
#pragma once

#include <cstdint>
#include <string>
#include <type_traits>
#include <variant>

#include <nexus/serialize/serializer.hpp>

#include "serialize/codec.hpp"

namespace nexus::serialize::detail {

/// Writes Arguments/ArgumentsKw: splices the raw bytes when the payload is
/// still encoded in the writer's format, transcodes otherwise.
template <class W> void write_payload(W& w, const wamp::Payload& p) {
    const bool with_args = p.has_args() || p.has_kwargs();
    if (p.raw_format() == W::format) {
        if (with_args) {
            if (p.has_args()) {
                w.raw(p.raw_args());
            } else {
                w.begin_list(0);
                w.end_list();
            }
        }
        if (p.has_kwargs()) w.raw(p.raw_kwargs());
        return;
    }
    if (with_args) {
        const wamp::Array args = p.args();
        w.begin_list(args.size());
        for (const wamp::Value& v : args)
            w.value(v);
        w.end_list();
    }
    if (p.has_kwargs()) w.object(p.kwargs());
}

inline std::size_t payload_count(const wamp::Payload& p) {
    return p.has_kwargs() ? 2 : (p.has_args() ? 1 : 0);
}

/// A WELCOME, its Details with `extra` as well when given (encode_welcome_into()).
template <class W>
void write_welcome(W& w, const wamp::Welcome& m, const RawEntry* extra = nullptr) {
    w.begin_list(3);
    w.uint(static_cast<std::uint64_t>(wamp::Welcome::type));
    w.uint(m.session);
    w.object(m.details, extra);
    w.end_list();
}

template <class W> void write_message(W& w, const wamp::Message& message) {
    using namespace nexus::wamp;
    std::visit(
        [&w](const auto& m) {
            using M = std::decay_t<decltype(m)>;
            const auto code = static_cast<std::uint64_t>(M::type);
            if constexpr (std::is_same_v<M, Hello>) {
                w.begin_list(3), w.uint(code), w.string(m.realm), w.object(m.details);
            } else if constexpr (std::is_same_v<M, Welcome>) {
                return write_welcome(w, m);
            } else if constexpr (std::is_same_v<M, Abort>) {
                w.begin_list(3 + payload_count(m.payload)), w.uint(code), w.object(m.details),
                    w.string(m.reason), write_payload(w, m.payload);
            } else if constexpr (std::is_same_v<M, Challenge>) {
                w.begin_list(3), w.uint(code), w.string(m.authmethod), w.object(m.extra);
            } else if constexpr (std::is_same_v<M, Authenticate>) {
                w.begin_list(3), w.uint(code), w.string(m.signature), w.object(m.extra);
            } else if constexpr (std::is_same_v<M, Goodbye>) {
                w.begin_list(3), w.uint(code), w.object(m.details), w.string(m.reason);
            } else if constexpr (std::is_same_v<M, Error>) {
                w.begin_list(5 + payload_count(m.payload)), w.uint(code),
                    w.uint(static_cast<std::uint64_t>(m.request_type)), w.uint(m.request),
                    w.object(m.details), w.string(m.error), write_payload(w, m.payload);
            } else if constexpr (std::is_same_v<M, Publish>) {
                w.begin_list(4 + payload_count(m.payload)), w.uint(code), w.uint(m.request),
                    w.object(m.options), w.string(m.topic), write_payload(w, m.payload);
            } else if constexpr (std::is_same_v<M, Published>) {
                w.begin_list(3), w.uint(code), w.uint(m.request), w.uint(m.publication);
            } else if constexpr (std::is_same_v<M, Subscribe>) {
                w.begin_list(4), w.uint(code), w.uint(m.request), w.object(m.options),
                    w.string(m.topic);
            } else if constexpr (std::is_same_v<M, Subscribed>) {
                w.begin_list(3), w.uint(code), w.uint(m.request), w.uint(m.subscription);
            } else if constexpr (std::is_same_v<M, Unsubscribe>) {
                w.begin_list(3), w.uint(code), w.uint(m.request), w.uint(m.subscription);
            } else if constexpr (std::is_same_v<M, Unsubscribed> ||
                                 std::is_same_v<M, Unregistered>) {
                w.begin_list(m.details ? 3 : 2), w.uint(code), w.uint(m.request);
                if (m.details) w.object(*m.details);
            } else if constexpr (std::is_same_v<M, Event>) {
                w.begin_list(4 + payload_count(m.payload)), w.uint(code), w.uint(m.subscription),
                    w.uint(m.publication), w.object(m.details), write_payload(w, m.payload);
            } else if constexpr (std::is_same_v<M, Call>) {
                w.begin_list(4 + payload_count(m.payload)), w.uint(code), w.uint(m.request),
                    w.object(m.options), w.string(m.procedure), write_payload(w, m.payload);
            } else if constexpr (std::is_same_v<M, Cancel> || std::is_same_v<M, Interrupt>) {
                w.begin_list(3), w.uint(code), w.uint(m.request), w.object(m.options);
            } else if constexpr (std::is_same_v<M, Result>) {
                w.begin_list(3 + payload_count(m.payload)), w.uint(code), w.uint(m.request),
                    w.object(m.details), write_payload(w, m.payload);
            } else if constexpr (std::is_same_v<M, Register>) {
                w.begin_list(4), w.uint(code), w.uint(m.request), w.object(m.options),
                    w.string(m.procedure);
            } else if constexpr (std::is_same_v<M, Registered>) {
                w.begin_list(3), w.uint(code), w.uint(m.request), w.uint(m.registration);
            } else if constexpr (std::is_same_v<M, Unregister>) {
                w.begin_list(3), w.uint(code), w.uint(m.request), w.uint(m.registration);
            } else if constexpr (std::is_same_v<M, Invocation>) {
                w.begin_list(4 + payload_count(m.payload)), w.uint(code), w.uint(m.request),
                    w.uint(m.registration), w.object(m.details), write_payload(w, m.payload);
            } else if constexpr (std::is_same_v<M, Yield>) {
                w.begin_list(3 + payload_count(m.payload)), w.uint(code), w.uint(m.request),
                    w.object(m.options), write_payload(w, m.payload);
            } else {
                static_assert(sizeof(M) == 0, "write_message: message type not handled");
            }
            w.end_list();
        },
        message);
}

} // namespace nexus::serialize::detail
