#include "serialize/json_parse.hpp"

#include "serialize/base64.hpp"

#include <boost/json/basic_parser_impl.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <exception>
#include <string>
#include <utility>
#include <vector>

namespace nexus::serialize::detail {

namespace {

namespace bj = boost::json;
using wamp::Value;

constexpr const char* bad_base64 = "invalid base64 in a JSON binary string (\\u0000 prefix)";
constexpr const char* bad_double = "JSON number out of range for a double";
constexpr const char* duplicate_key = "duplicate key in a JSON object";

// Scratch text is kept per thread between parses; an unusually large value
// should not pin its memory forever.
constexpr std::size_t keep_capacity = 64 * 1024;

void release_if_large(std::string& s) {
    if (s.capacity() > keep_capacity) std::string().swap(s);
    s.clear();
}

// Boost.JSON 1.81 does not always round decimal input correctly; from_chars
// does, and both handlers use this so that they agree on what is acceptable.
bool precise_double(double parsed, std::string_view text, double& out) noexcept {
    double d = 0;
    const auto r = std::from_chars(text.data(), text.data() + text.size(), d);
    out = (r.ec == std::errc{} && r.ptr == text.data() + text.size()) ? d : parsed;
    return std::isfinite(out);
}

// The members every Boost.JSON handler needs that ours treat the same way.
struct HandlerBase {
    static constexpr std::size_t max_object_size = static_cast<std::size_t>(-1);
    static constexpr std::size_t max_array_size = static_cast<std::size_t>(-1);
    static constexpr std::size_t max_key_size = static_cast<std::size_t>(-1);
    static constexpr std::size_t max_string_size = static_cast<std::size_t>(-1);

    bool on_document_begin(bj::error_code&) { return true; }
    bool on_document_end(bj::error_code&) { return true; }
    // Comments are disabled in the parse options; these are never called.
    bool on_comment_part(bj::string_view, bj::error_code&) { return true; }
    bool on_comment(bj::string_view, bj::error_code&) { return true; }

    bool fail(bj::error_code& ec, const char* why) {
        why_ = why;
        ec = bj::error::syntax;
        return false;
    }

    /// Our own reason when a callback rejected the input, else nullptr.
    const char* why_ = nullptr;
};

// ---------------------------------------------------------------------------
// Building a Value

struct Frame {
    Value container; // an Array or an Object
    std::string key; // the pending key, in an object
};

struct BuildScratch {
    std::vector<Frame> frames;
    std::string text;   // pieces of a string or key with escapes
    std::string number; // pieces of a number (only if the parser splits one)
};

thread_local BuildScratch build_scratch;

class ValueBuilder : public HandlerBase {
public:
    explicit ValueBuilder(BuildScratch& scratch) : s_(scratch) {}

    bool on_array_begin(bj::error_code&) {
        s_.frames.push_back(Frame{Value(wamp::Array{}), {}});
        return true;
    }
    bool on_object_begin(bj::error_code&) {
        s_.frames.push_back(Frame{Value(wamp::Object{}), {}});
        return true;
    }
    bool on_array_end(std::size_t, bj::error_code& ec) { return close(ec); }
    bool on_object_end(std::size_t, bj::error_code& ec) { return close(ec); }

    bool on_string_part(bj::string_view s, std::size_t, bj::error_code&) {
        s_.text.append(s.data(), s.size());
        return true;
    }
    bool on_string(bj::string_view s, std::size_t, bj::error_code& ec) {
        const std::string_view text = whole(s_.text, s);
        bool ok;
        if (!text.empty() && text.front() == '\0') {
            wamp::Bytes bytes;
            ok = base64_decode(text.substr(1), bytes.data) ? add(Value(std::move(bytes)), ec)
                                                           : fail(ec, bad_base64);
        } else {
            ok = add(Value(std::string(text)), ec);
        }
        s_.text.clear();
        return ok;
    }
    bool on_key_part(bj::string_view s, std::size_t, bj::error_code&) {
        s_.text.append(s.data(), s.size());
        return true;
    }
    bool on_key(bj::string_view s, std::size_t, bj::error_code&) {
        s_.frames.back().key.assign(whole(s_.text, s));
        s_.text.clear();
        return true;
    }

    bool on_number_part(bj::string_view s, bj::error_code&) {
        s_.number.append(s.data(), s.size());
        return true;
    }
    bool on_int64(std::int64_t i, bj::string_view, bj::error_code& ec) {
        s_.number.clear();
        return add(Value(i), ec);
    }
    bool on_uint64(std::uint64_t u, bj::string_view, bj::error_code& ec) {
        s_.number.clear();
        return add(Value(u), ec);
    }
    bool on_double(double d, bj::string_view s, bj::error_code& ec) {
        double out = 0;
        const bool finite = precise_double(d, whole(s_.number, s), out);
        s_.number.clear();
        return finite ? add(Value(out), ec) : fail(ec, bad_double);
    }
    bool on_bool(bool b, bj::error_code& ec) { return add(Value(b), ec); }
    bool on_null(bj::error_code& ec) { return add(Value(), ec); }

    Value& result() { return result_; }

private:
    // A string's pieces (if any) followed by its final piece `last`.
    static std::string_view whole(std::string& pieces, bj::string_view last) {
        if (pieces.empty()) return {last.data(), last.size()};
        pieces.append(last.data(), last.size());
        return pieces;
    }

    bool close(bj::error_code& ec) {
        Value done = std::move(s_.frames.back().container);
        s_.frames.pop_back();
        return add(std::move(done), ec);
    }

    bool add(Value&& v, bj::error_code& ec) {
        if (s_.frames.empty()) {
            result_ = std::move(v);
            return true;
        }
        Frame& f = s_.frames.back();
        if (wamp::Array* a = f.container.if_array()) {
            a->push_back(std::move(v));
            return true;
        }
        const bool inserted =
            f.container.if_object()->try_emplace(std::move(f.key), std::move(v)).second;
        return inserted || fail(ec, duplicate_key);
    }

    BuildScratch& s_;
    Value result_;
};

// ---------------------------------------------------------------------------
// Validating only

struct CheckScratch {
    std::string keys;                                           // the keys of all open objects
    std::vector<std::pair<std::size_t, std::size_t>> key_spans; // offset, size in `keys`
    std::vector<std::string_view> sorted;                       // for duplicate checks
    std::string binary;                                         // a string starting with NUL
    std::string number;
};

thread_local CheckScratch check_scratch;

class Validator : public HandlerBase {
public:
    explicit Validator(CheckScratch& scratch) : s_(scratch) {}

    bool on_array_begin(bj::error_code&) { return true; }
    bool on_array_end(std::size_t, bj::error_code&) { return true; }
    bool on_object_begin(bj::error_code&) { return true; }
    bool on_object_end(std::size_t n, bj::error_code& ec) {
        if (n == 0) return true;
        auto& spans = s_.key_spans;
        const std::size_t first = spans.size() - n;
        const bool unique = keys_unique(first);
        s_.keys.resize(spans[first].first);
        spans.resize(first);
        return unique || fail(ec, duplicate_key);
    }

    bool on_key_part(bj::string_view s, std::size_t, bj::error_code&) {
        key_piece(s);
        return true;
    }
    bool on_key(bj::string_view s, std::size_t, bj::error_code&) {
        key_piece(s);
        s_.key_spans.emplace_back(key_start_, s_.keys.size() - key_start_);
        in_key_ = false;
        return true;
    }

    // Only strings that start with NUL are kept: their base64 must be checked.
    bool on_string_part(bj::string_view s, std::size_t, bj::error_code&) {
        string_piece(s);
        return true;
    }
    bool on_string(bj::string_view s, std::size_t, bj::error_code& ec) {
        string_piece(s);
        const bool ok = string_kind_ != StringKind::binary ||
                        base64_valid(std::string_view(s_.binary).substr(1));
        string_kind_ = StringKind::undecided;
        s_.binary.clear();
        return ok || fail(ec, bad_base64);
    }

    bool on_number_part(bj::string_view s, bj::error_code&) {
        s_.number.append(s.data(), s.size());
        return true;
    }
    bool on_int64(std::int64_t, bj::string_view, bj::error_code&) {
        s_.number.clear();
        return true;
    }
    bool on_uint64(std::uint64_t, bj::string_view, bj::error_code&) {
        s_.number.clear();
        return true;
    }
    bool on_double(double d, bj::string_view s, bj::error_code& ec) {
        std::string_view text(s.data(), s.size());
        if (!s_.number.empty()) text = s_.number.append(s.data(), s.size());
        double ignored = 0;
        const bool finite = precise_double(d, text, ignored);
        s_.number.clear();
        return finite || fail(ec, bad_double);
    }
    bool on_bool(bool, bj::error_code&) { return true; }
    bool on_null(bj::error_code&) { return true; }

private:
    enum class StringKind : std::uint8_t { undecided, text, binary };

    void key_piece(bj::string_view s) {
        if (!in_key_) {
            key_start_ = s_.keys.size();
            in_key_ = true;
        }
        s_.keys.append(s.data(), s.size());
    }

    void string_piece(bj::string_view s) {
        if (s.empty()) return;
        if (string_kind_ == StringKind::undecided)
            string_kind_ = s.front() == '\0' ? StringKind::binary : StringKind::text;
        if (string_kind_ == StringKind::binary) s_.binary.append(s.data(), s.size());
    }

    std::string_view key(std::size_t i) const {
        const auto [offset, size] = s_.key_spans[i];
        return std::string_view(s_.keys).substr(offset, size);
    }

    // The keys from span `first` on belong to the object just closed.
    bool keys_unique(std::size_t first) {
        const std::size_t end = s_.key_spans.size();
        if (end - first <= 16) {
            for (std::size_t i = first; i < end; ++i)
                for (std::size_t j = i + 1; j < end; ++j)
                    if (key(i) == key(j)) return false;
            return true;
        }
        auto& sorted = s_.sorted;
        sorted.clear();
        for (std::size_t i = first; i < end; ++i)
            sorted.push_back(key(i));
        std::sort(sorted.begin(), sorted.end());
        return std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end();
    }

    CheckScratch& s_;
    std::size_t key_start_ = 0;
    bool in_key_ = false;
    StringKind string_kind_ = StringKind::undecided;
};

// ---------------------------------------------------------------------------

bj::parse_options options(std::size_t max_depth) {
    bj::parse_options o;
    o.max_depth = max_depth;
    return o; // comments, trailing commas and invalid UTF-8 stay disallowed
}

template <class Handler> Status run(bj::basic_parser<Handler>& parser, std::string_view text) {
    bj::error_code ec;
    const std::size_t used = parser.write_some(false, text.data(), text.size(), ec);
    if (ec) {
        if (const char* why = parser.handler().why_) return Failure{why};
        if (ec == bj::error::too_deep) return Failure{"JSON nesting exceeds the depth limit"};
        if (ec == bj::error::incomplete) return Failure{"truncated JSON"};
        return Failure{"invalid JSON: " + ec.message()};
    }
    if (used != text.size()) return Failure{"unexpected data after a JSON value"};
    return {};
}

// Small integers and plain ASCII strings are most of a message's head; they
// need no parser.
bool parse_simple(std::string_view text, Value& out) {
    if (text.size() >= 2 && text.front() == '"' && text.back() == '"') {
        const std::string_view inner = text.substr(1, text.size() - 2);
        for (const char c : inner)
            if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') return false;
        out = Value(std::string(inner));
        return true;
    }
    std::string_view digits = text;
    if (!digits.empty() && digits.front() == '-') digits.remove_prefix(1);
    if (digits.empty() || digits.size() > 18 || (digits.front() == '0' && digits.size() > 1))
        return false;
    std::int64_t magnitude = 0;
    for (const char c : digits) {
        if (c < '0' || c > '9') return false;
        magnitude = magnitude * 10 + (c - '0');
    }
    out = Value(digits.size() == text.size() ? magnitude : -magnitude);
    return true;
}

} // namespace

Expected<Value> json_parse_value(std::string_view text, std::size_t max_depth) {
    Value simple;
    if (parse_simple(text, simple)) return simple;
    BuildScratch& scratch = build_scratch;
    try {
        bj::basic_parser<ValueBuilder> parser(options(max_depth), scratch);
        Status status = run(parser, text);
        scratch.frames.clear();
        release_if_large(scratch.text);
        release_if_large(scratch.number);
        if (!status) return status.error();
        return std::move(parser.handler().result());
    } catch (const std::exception&) {
        scratch.frames.clear();
        return Failure{"out of memory while decoding JSON"};
    }
}

Status json_validate(std::string_view text, std::size_t max_depth) {
    CheckScratch& scratch = check_scratch;
    try {
        bj::basic_parser<Validator> parser(options(max_depth), scratch);
        Status status = run(parser, text);
        release_if_large(scratch.keys);
        scratch.key_spans.clear();
        release_if_large(scratch.binary);
        release_if_large(scratch.number);
        return status;
    } catch (const std::exception&) {
        scratch.key_spans.clear();
        scratch.keys.clear();
        scratch.binary.clear();
        return Failure{"out of memory while validating JSON"};
    }
}

} // namespace nexus::serialize::detail
