#include "serialize/json_scanner.hpp"

#include <array>

namespace nexus::serialize::detail {

namespace {

constexpr bool is_whitespace(char c) noexcept {
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

// The bytes that matter for nesting inside a list or object.
constexpr auto structural = [] {
    std::array<bool, 256> t{};
    for (const unsigned char c : {'"', '[', ']', '{', '}'})
        t[c] = true;
    return t;
}();

constexpr const char* truncated = "truncated JSON: the message list is not closed";
constexpr const char* trailing = "unexpected data after the JSON message list";

} // namespace

void JsonListScanner::skip_whitespace() noexcept {
    const char* p = p_;
    while (p != end_ && is_whitespace(*p))
        ++p;
    p_ = p;
}

bool JsonListScanner::open() noexcept {
    skip_whitespace();
    if (p_ == end_) return fail("empty JSON message");
    if (*p_ != '[') return fail("a JSON message must be a list");
    if (max_depth_ < 1) return fail("JSON nesting exceeds the depth limit");
    ++p_;
    return true;
}

JsonListScanner::Step JsonListScanner::next(std::string_view& element) noexcept {
    if (closed_) return Step::end;
    skip_whitespace();
    if (p_ == end_) return stop(truncated);
    if (first_ && *p_ == ']') {
        ++p_;
        closed_ = true;
        skip_whitespace();
        if (p_ != end_) return stop(trailing);
        return Step::end;
    }
    const char* start = p_;
    if (!scan_element()) return Step::failed;
    element = std::string_view(start, static_cast<std::size_t>(p_ - start));

    skip_whitespace();
    if (p_ == end_) return stop(truncated);
    if (*p_ == ',') {
        ++p_;
        first_ = false;
    } else if (*p_ == ']') {
        ++p_;
        closed_ = true;
        skip_whitespace();
        if (p_ != end_) return stop(trailing);
    } else {
        return stop("expected ',' or ']' after an element of the JSON message list");
    }
    return Step::element;
}

// The loops below work on local pointers: a char read may alias the
// scanner's own members, which would force a store of p_ on every byte.

bool JsonListScanner::scan_element() noexcept {
    switch (*p_) {
    case '"': return scan_string();
    case '[':
    case '{': return scan_nested();
    case ',':
    case ']':
    case '}': return fail("expected a value in the JSON message list");
    default: {
        // A literal or number: its exact syntax is left to the parser.
        const char* p = p_;
        while (p != end_ && !is_whitespace(*p) && *p != ',' && *p != ']')
            ++p;
        p_ = p;
        return true;
    }
    }
}

namespace {

// Past the closing quote of the string whose opening quote is at p, or nullptr.
const char* skip_string(const char* p, const char* end) noexcept {
    ++p;
    for (;;) {
        while (p != end && *p != '"' && *p != '\\')
            ++p;
        if (p == end) return nullptr;
        if (*p++ == '"') return p;
        if (p == end) return nullptr;
        ++p; // whatever is escaped cannot end the string
    }
}

} // namespace

bool JsonListScanner::scan_string() noexcept {
    const char* after = skip_string(p_, end_);
    if (!after) return fail("truncated JSON: unterminated string");
    p_ = after;
    return true;
}

bool JsonListScanner::scan_nested() noexcept {
    const char* p = p_;
    const char* const end = end_;
    const std::size_t max_depth = max_depth_;
    // Depth of the element's own brackets; the message list is one more.
    std::size_t depth = 0;
    while (p != end) {
        while (p != end && !structural[static_cast<unsigned char>(*p)])
            ++p;
        if (p == end) break;
        switch (*p) {
        case '"':
            p = skip_string(p, end);
            if (!p) return fail("truncated JSON: unterminated string");
            continue;
        case '[':
        case '{':
            if (++depth + 1 > max_depth) return fail("JSON nesting exceeds the depth limit");
            break;
        default: // ']' or '}'
            if (--depth == 0) {
                p_ = p + 1;
                return true;
            }
            break;
        }
        ++p;
    }
    return fail("truncated JSON: unterminated list or object");
}

} // namespace nexus::serialize::detail
