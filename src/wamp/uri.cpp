#include <nexus/wamp/uri.hpp>

#include <cstdint>

namespace nexus::wamp {

namespace {

// Decodes one UTF-8 code point at s[i], advancing i. Invalid sequences yield
// U+FFFD so that they are treated as ordinary (non-space) characters; the
// serializers already reject invalid UTF-8 in strings.
char32_t next_code_point(std::string_view s, std::size_t& i) noexcept {
    const auto b0 = static_cast<unsigned char>(s[i]);
    if (b0 < 0x80) {
        ++i;
        return b0;
    }
    const int extra = (b0 >> 5) == 0x6 ? 1 : (b0 >> 4) == 0xE ? 2 : (b0 >> 3) == 0x1E ? 3 : -1;
    if (extra < 0 || i + static_cast<std::size_t>(extra) >= s.size()) {
        ++i;
        return 0xFFFD;
    }
    char32_t cp = b0 & (0x3F >> extra);
    for (int k = 1; k <= extra; ++k) {
        const auto b = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
        if ((b & 0xC0) != 0x80) {
            ++i;
            return 0xFFFD;
        }
        cp = (cp << 6) | (b & 0x3F);
    }
    i += static_cast<std::size_t>(extra) + 1;
    return cp;
}

// Python's str.isspace(), which the spec's regular expressions (\s) use.
bool is_unicode_space(char32_t c) noexcept {
    switch (c) {
    case 0x09:
    case 0x0A:
    case 0x0B:
    case 0x0C:
    case 0x0D:
    case 0x1C:
    case 0x1D:
    case 0x1E:
    case 0x1F:
    case 0x20:
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000: return true;
    default: return c >= 0x2000 && c <= 0x200A;
    }
}

bool strict_char(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

} // namespace

bool is_valid_uri(std::string_view uri, UriRule rule, bool allow_empty_components) noexcept {
    if (uri.empty()) return false;
    std::size_t component_length = 0;
    std::size_t i = 0;
    while (i < uri.size()) {
        const char c = uri[i];
        if (c == '.') {
            if (component_length == 0 && !allow_empty_components) return false;
            component_length = 0;
            ++i;
            continue;
        }
        if (rule == UriRule::strict) {
            if (!strict_char(c)) return false;
            ++i;
        } else {
            if (c == '#') return false;
            if (is_unicode_space(next_code_point(uri, i))) return false;
        }
        ++component_length;
    }
    return component_length > 0 || allow_empty_components;
}

bool is_reserved_uri(std::string_view uri) noexcept {
    return uri == "wamp" || uri.starts_with("wamp.");
}

std::optional<MatchPolicy> parse_match_policy(std::string_view name) noexcept {
    if (name == "exact") return MatchPolicy::exact;
    if (name == "prefix") return MatchPolicy::prefix;
    if (name == "wildcard") return MatchPolicy::wildcard;
    return std::nullopt;
}

std::string_view match_policy_name(MatchPolicy policy) noexcept {
    switch (policy) {
    case MatchPolicy::exact: return "exact";
    case MatchPolicy::prefix: return "prefix";
    case MatchPolicy::wildcard: return "wildcard";
    }
    return "exact";
}

bool uri_matches(std::string_view pattern, MatchPolicy policy, std::string_view uri) noexcept {
    switch (policy) {
    case MatchPolicy::exact: return pattern == uri;
    case MatchPolicy::prefix: return uri.starts_with(pattern);
    case MatchPolicy::wildcard: break;
    }
    std::size_t p = 0, u = 0;
    for (;;) {
        const std::size_t pe = pattern.find('.', p);
        const std::size_t ue = uri.find('.', u);
        const std::string_view pc =
            pattern.substr(p, pe == std::string_view::npos ? std::string_view::npos : pe - p);
        const std::string_view uc =
            uri.substr(u, ue == std::string_view::npos ? std::string_view::npos : ue - u);
        if (!pc.empty() && pc != uc) return false;
        if (uc.empty()) return false; // a concrete URI has no empty components
        const bool pattern_done = pe == std::string_view::npos;
        const bool uri_done = ue == std::string_view::npos;
        if (pattern_done || uri_done) return pattern_done && uri_done;
        p = pe + 1;
        u = ue + 1;
    }
}

namespace {

// Yields the lengths of the runs of concrete components of a wildcard
// pattern, one run per wildcard-separated section: "a.b..c" -> 2, 1.
class RunReader {
public:
    explicit RunReader(std::string_view pattern) : s_(pattern) {}
    /// The next run's length; false when all runs have been read.
    bool next(std::size_t& run) noexcept {
        if (done_) return false;
        run = 0;
        if (final_empty_) { // the empty run after a trailing wildcard
            done_ = true;
            return true;
        }
        for (;;) {
            const std::size_t end = s_.find('.', pos_);
            const bool last = end == std::string_view::npos;
            const std::size_t len = (last ? s_.size() : end) - pos_;
            pos_ = last ? s_.size() : end + 1;
            if (len == 0) { // a wildcard closes the run
                if (last) final_empty_ = true;
                return true;
            }
            ++run;
            if (last) {
                done_ = true;
                return true;
            }
        }
    }

private:
    std::string_view s_;
    std::size_t pos_ = 0;
    bool done_ = false;
    bool final_empty_ = false;
};

} // namespace

bool wildcard_more_specific(std::string_view a, std::string_view b) noexcept {
    RunReader ra(a), rb(b);
    std::size_t x = 0, y = 0;
    for (;;) {
        const bool ha = ra.next(x);
        const bool hb = rb.next(y);
        if (!ha || !hb) return ha && !hb;
        if (x != y) return x > y;
    }
}

} // namespace nexus::wamp
