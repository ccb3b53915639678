// Finds the elements of the list that a JSON WAMP message is, without parsing
// them: the payload must stay a raw slice of the frame, and a general JSON
// parser does not report where values begin and end.
#pragma once

#include <cstddef>
#include <string_view>

namespace nexus::serialize::detail {

/// Walks `[ elem , elem ... ]` by tracking strings and bracket nesting only.
/// It does not validate the elements (each slice still has to be parsed), but
/// it never recurses and stops as soon as nesting exceeds `max_depth`, counting
/// the list itself as depth 1.
class JsonListScanner {
public:
    enum class Step { element, end, failed };

    JsonListScanner(std::string_view text, std::size_t max_depth) noexcept
        : p_(text.data()), end_(text.data() + text.size()), max_depth_(max_depth) {}

    /// Consumes the opening bracket; false (see error()) if there is none.
    bool open() noexcept;

    /// The next element, without surrounding whitespace, or the end of the list
    /// (after checking that nothing but whitespace follows it).
    Step next(std::string_view& element) noexcept;

    /// Why open() or next() failed; static text.
    const char* error() const noexcept { return error_; }

private:
    bool scan_element() noexcept;
    bool scan_string() noexcept;
    bool scan_nested() noexcept;
    void skip_whitespace() noexcept;
    bool fail(const char* why) noexcept {
        error_ = why;
        return false;
    }
    Step stop(const char* why) noexcept {
        error_ = why;
        return Step::failed;
    }

    const char* p_;
    const char* end_;
    std::size_t max_depth_;
    const char* error_ = "";
    bool first_ = true;
    bool closed_ = false;
};

} // namespace nexus::serialize::detail
