// Prometheus text exposition format, version 0.0.4: a family's # HELP and
// # TYPE lines, then its samples, with the format's escaping of help text
// and label values.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace nexusd::http {

class PrometheusText {
public:
    using Labels = std::initializer_list<std::pair<std::string_view, std::string_view>>;

    /// Starts a family; `type` is counter, gauge, histogram, summary or untyped.
    void family(std::string_view name, std::string_view type, std::string_view help);
    /// A sample of the current family (`name` may carry a suffix such as
    /// _bucket, _sum, _count).
    void sample(std::string_view name, Labels labels, std::uint64_t value);
    void sample(std::string_view name, Labels labels, double value);
    /// The labels as already written ("a=\"b\",c=\"d\""), for a histogram's
    /// buckets that add `le` to them.
    void sample_raw(std::string_view name, std::string_view labels, std::string_view value);

    const std::string& text() const { return out_; }
    std::string take() { return std::move(out_); }

    /// "name=\"value\"" with the value escaped.
    static std::string label(std::string_view name, std::string_view value);
    /// A float as the format writes it (+Inf, -Inf, NaN, shortest round trip).
    static std::string number(double value);

private:
    void labels(Labels labels);
    std::string out_;
};

} // namespace nexusd::http
