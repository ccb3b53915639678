#include "serialize/cbor_reader.hpp"

#include "serialize/utf8.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <utility>

namespace nexus::serialize::detail::cbor {

namespace {

// A declared array length is only a claim; reserving for all of it would let
// a few bytes of nested headers demand far more memory than the input could
// ever fill. Longer arrays grow as they are filled.
constexpr std::uint64_t max_reserve = 256;

// Keys of one map mostly differ in length or first byte: decide that
// without a memcmp call.
inline bool same_key(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() && (a.empty() || (a[0] == b[0] && a == b));
}

constexpr auto int64_max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());

const char* major_name(std::uint8_t major) noexcept {
    switch (major) {
    case major_uint: return "an unsigned integer";
    case major_negint: return "a negative integer";
    case major_bytes: return "a byte string";
    case major_text: return "a text string";
    case major_array: return "an array";
    case major_map: return "a map";
    case major_tag: return "a tag";
    default: return "a simple value or float";
    }
}

} // namespace

// ValueSink -----------------------------------------------------------------

void ValueSink::begin_array(std::uint64_t declared) {
    wamp::Array a;
    a.reserve(static_cast<std::size_t>(std::min(declared, max_reserve)));
    frames_.push_back(Frame{wamp::Value(std::move(a)), {}});
}

std::size_t ValueSink::begin_map() {
    frames_.push_back(Frame{wamp::Value(wamp::Object()), {}});
    return 0;
}

bool ValueSink::key(std::string_view key, bool) {
    frames_.back().key.assign(key);
    return true;
}

bool ValueSink::end_container() {
    wamp::Value done = std::move(frames_.back().container);
    frames_.pop_back();
    return attach(std::move(done));
}

bool ValueSink::attach(wamp::Value&& v) {
    if (frames_.empty()) {
        result_ = std::move(v);
        return true;
    }
    Frame& f = frames_.back();
    if (wamp::Array* a = f.container.if_array()) {
        a->push_back(std::move(v));
        return true;
    }
    // try_emplace leaves the key alone when it is already present.
    if (f.container.if_object()->try_emplace(std::move(f.key), std::move(v)).second) return true;
    duplicate_ = std::move(f.key);
    return false;
}

// ValidateSink --------------------------------------------------------------

std::string_view ValidateSink::own(std::string_view key) { return owned_.emplace_back(key); }

bool ValidateSink::check_unique(std::size_t mark) {
    const auto first = keys_.begin() + static_cast<std::ptrdiff_t>(mark);
    const auto last = keys_.end();
    auto dup = last;
    if (last - first <= 8) {
        // Typical options/kwargs maps are tiny: comparing pairs beats sorting.
        for (auto i = first + 1; i != last && dup == last; ++i)
            if (std::find_if(first, i, [k = *i](std::string_view o) { return same_key(k, o); }) !=
                i)
                dup = i;
    } else {
        std::sort(first, last);
        dup = std::adjacent_find(first, last);
    }
    const bool unique = dup == last;
    if (!unique) duplicate_ = *dup;
    keys_.resize(mark);
    return unique;
}

// CborReader ----------------------------------------------------------------

Failure CborReader::failure_at(std::string_view what, std::size_t offset) {
    std::string message(what);
    message += " at byte ";
    message += std::to_string(offset);
    return Failure{std::move(message)};
}

bool CborReader::fail(Problem problem, const std::uint8_t* at, std::uint64_t detail) {
    // Every problem but truncation has its head byte at `at`.
    const std::uint8_t initial = problem == Problem::truncated ? 0 : *at;
    const std::uint8_t major = initial >> 5;
    std::string what;
    switch (problem) {
    case Problem::truncated: what = "truncated input"; break;
    case Problem::reserved_info:
        what = "reserved additional information " + std::to_string(initial & 0x1f);
        break;
    case Problem::indefinite_not_allowed:
        what = std::string(major_name(major)) + " cannot have indefinite length";
        break;
    case Problem::unexpected_break: what = "unexpected break code"; break;
    case Problem::too_deep:
        what = std::string("nesting too deep (") + major_name(major) + ")";
        break;
    case Problem::key_not_text:
        what = std::string("map key must be a text string, not ") + major_name(major);
        break;
    case Problem::below_int64_min: what = "negative integer below -2^63"; break;
    case Problem::unsupported_simple:
        what = "unsupported simple value " + std::to_string(detail);
        break;
    case Problem::length_exceeds_input:
        what = std::string("length ") + std::to_string(detail) + " of " + major_name(major) +
               " exceeds the remaining input";
        break;
    case Problem::invalid_utf8: what = "text string is not valid UTF-8"; break;
    case Problem::bad_chunk:
        what = std::string("chunk of an indefinite-length string is ") + major_name(major);
        if ((initial & 0x1f) == info_indefinite) what += " of indefinite length";
        break;
    }
    error_ = std::move(failure_at(what, static_cast<std::size_t>(at - begin_)).message);
    return false;
}

bool CborReader::fail_duplicate(std::string_view key, const std::uint8_t* at) {
    std::string what = "duplicate map key \"";
    what += key;
    what += '"';
    error_ = std::move(failure_at(what, static_cast<std::size_t>(at - begin_)).message);
    return false;
}

Status CborReader::read_head(Head& h) {
    const std::uint8_t* const at = pos_;
    const HeadStatus status = cbor::read_head(pos_, end_, h);
    if (status == HeadStatus::ok) return {};
    fail(status == HeadStatus::reserved ? Problem::reserved_info : Problem::truncated, at);
    return Failure{std::move(error_)};
}

inline bool CborReader::read_string(const Head& h, const std::uint8_t* item, std::string_view& out,
                                    bool& stable) {
    if (h.info == info_indefinite) [[unlikely]] {
        stable = false;
        return read_chunks(h, out);
    }
    if (h.arg > remaining()) [[unlikely]]
        return fail(Problem::length_exceeds_input, item, h.arg);
    out = std::string_view(reinterpret_cast<const char*>(pos_), static_cast<std::size_t>(h.arg));
    if (h.major == major_text && !utf8_valid(out)) [[unlikely]]
        return fail(Problem::invalid_utf8, item);
    stable = true;
    pos_ += h.arg;
    return true;
}

bool CborReader::read_chunks(const Head& h, std::string_view& out) {
    // Indefinite length: definite chunks of the same major type up to a break.
    scratch_.clear();
    for (;;) {
        const std::uint8_t* const at = pos_;
        Head chunk;
        if (const HeadStatus s = cbor::read_head(pos_, end_, chunk); s != HeadStatus::ok)
            return fail(s == HeadStatus::reserved ? Problem::reserved_info : Problem::truncated,
                        at);
        if (chunk.major == major_simple && chunk.info == info_indefinite) break;
        if (chunk.major != h.major || chunk.info == info_indefinite)
            return fail(Problem::bad_chunk, at);
        if (chunk.arg > remaining()) return fail(Problem::length_exceeds_input, at, chunk.arg);
        const std::string_view piece(reinterpret_cast<const char*>(pos_),
                                     static_cast<std::size_t>(chunk.arg));
        // Chunks split only at character boundaries (RFC 8949 §3.2.3).
        if (h.major == major_text && !utf8_valid(piece)) return fail(Problem::invalid_utf8, at);
        scratch_.append(piece);
        pos_ += chunk.arg;
    }
    out = scratch_;
    return true;
}

template <class Sink>
bool CborReader::walk(Sink& sink, std::size_t max_depth, std::uint8_t* top_major) {
    open_ = 0;
    sink.reset();
    std::size_t depth = 0; // enclosing containers and tags of the next item
    std::size_t tags = 0;  // tags read since the last item ended
    for (;;) {
        const std::uint8_t* const item = pos_;
        Head h;
        if (const HeadStatus s = cbor::read_head(pos_, end_, h); s != HeadStatus::ok) [[unlikely]]
            return fail(s == HeadStatus::reserved ? Problem::reserved_info : Problem::truncated,
                        item);
        Level* const top = open_ == 0 ? nullptr : &levels_[open_ - 1];

        if (h.info == info_indefinite) [[unlikely]] {
            if (h.major == major_simple) {
                // A break closes the innermost indefinite container, at an
                // item boundary (not between a map key and its value).
                if (top == nullptr || !top->indefinite || tags != 0 ||
                    (top->map && top->seen % 2 != 0))
                    return fail(Problem::unexpected_break, item);
                const bool ok = top->map ? sink.end_map(top->mark) : sink.end_array();
                --open_;
                if (!ok) return fail_duplicate(sink.duplicate(), item);
                goto item_done;
            }
            if (h.major == major_uint || h.major == major_negint || h.major == major_tag)
                return fail(Problem::indefinite_not_allowed, item);
        }
        if (h.major == major_tag) {
            if (depth + 1 > max_depth) return fail(Problem::too_deep, item);
            ++depth;
            ++tags;
            continue;
        }
        if (top == nullptr) {
            if (top_major != nullptr) *top_major = h.major;
        } else if (top->map && top->seen % 2 == 0) {
            if (h.major != major_text) [[unlikely]]
                return fail(Problem::key_not_text, item);
            std::string_view key;
            bool stable = false;
            if (!read_string(h, item, key, stable)) return false;
            sink.key(key, stable);
            goto item_done;
        }

        switch (h.major) {
        case major_uint:
            if (!sink.uinteger(h.arg)) return fail_duplicate(sink.duplicate(), item);
            break;
        case major_negint:
            if (h.arg > int64_max) return fail(Problem::below_int64_min, item);
            // -1 - arg, computed without overflow.
            if (!sink.integer(-1 - static_cast<std::int64_t>(h.arg)))
                return fail_duplicate(sink.duplicate(), item);
            break;
        case major_bytes:
        case major_text: {
            std::string_view s;
            bool stable = false;
            if (!read_string(h, item, s, stable)) return false;
            if (!(h.major == major_text ? sink.text(s) : sink.bytes(s)))
                return fail_duplicate(sink.duplicate(), item);
            break;
        }
        case major_array:
        case major_map: {
            const bool map = h.major == major_map;
            const bool indefinite = h.info == info_indefinite;
            if (depth + 1 > max_depth) return fail(Problem::too_deep, item);
            // Every element takes at least one byte: refuse impossible lengths
            // before anything is allocated for them.
            const std::uint64_t per_item = map ? 2 : 1;
            if (!indefinite && h.arg > remaining() / per_item)
                return fail(Problem::length_exceeds_input, item, h.arg);
            std::size_t mark = 0;
            if (map) {
                mark = sink.begin_map();
            } else {
                sink.begin_array(indefinite ? 0 : h.arg);
            }
            if (indefinite || h.arg != 0) {
                if (open_ == levels_.size()) levels_.resize(open_ * 2 + 8);
                levels_[open_++] = Level{h.arg * per_item, 0, depth + 1, mark, map, indefinite};
                depth += 1;
                tags = 0;
                continue;
            }
            if (!(map ? sink.end_map(mark) : sink.end_array()))
                return fail_duplicate(sink.duplicate(), item);
            break;
        }
        default: { // major_simple
            bool ok = true;
            switch (h.info) {
            case simple_false: ok = sink.boolean(false); break;
            case simple_true: ok = sink.boolean(true); break;
            case simple_null:
            case simple_undefined: ok = sink.null(); break;
            case info_half:
                ok = sink.real(half_to_double(static_cast<std::uint16_t>(h.arg)));
                break;
            case info_single:
                ok = sink.real(
                    static_cast<double>(std::bit_cast<float>(static_cast<std::uint32_t>(h.arg))));
                break;
            case info_double: ok = sink.real(std::bit_cast<double>(h.arg)); break;
            default: return fail(Problem::unsupported_simple, item, h.arg);
            }
            if (!ok) return fail_duplicate(sink.duplicate(), item);
        }
        }

    item_done:
        // An item ended: count it in its container, closing every definite
        // container it completes.
        for (;;) {
            if (open_ == 0) return true;
            Level& l = levels_[open_ - 1];
            ++l.seen;
            depth = l.depth;
            tags = 0;
            if (l.indefinite || l.seen < l.declared) break;
            const bool ok = l.map ? sink.end_map(l.mark) : sink.end_array();
            --open_;
            if (!ok) return fail_duplicate(sink.duplicate(), pos_);
        }
    }
}

Expected<wamp::Value> CborReader::read_value(std::size_t max_depth) {
    if (!walk(builder_, max_depth, nullptr)) return Failure{std::move(error_)};
    return builder_.take();
}

Expected<std::uint8_t> CborReader::skip_value(std::size_t max_depth) {
    std::uint8_t major = 0;
    if (!walk(validator_, max_depth, &major)) return Failure{std::move(error_)};
    return major;
}

} // namespace nexus::serialize::detail::cbor
