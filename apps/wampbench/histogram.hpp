// A log-linear latency histogram in the manner of HdrHistogram: 128 linear
// sub-buckets per power of two, so any recorded value is reported within
// 1/128 (< 0.8 %) of itself. Recording is an index computation and an
// increment into a fixed array: no allocation, no lock (one histogram per
// thread, merged at the end).
#pragma once

#include <array>
#include <cstdint>

namespace wampbench {

class Histogram {
public:
    /// Values above this (about 18 minutes in nanoseconds) are clamped.
    static constexpr std::uint64_t max_value = (std::uint64_t{1} << 40) - 1;

    void record(std::uint64_t value) noexcept;
    void merge(const Histogram& other) noexcept;
    void reset() noexcept { *this = Histogram{}; }

    std::uint64_t count() const noexcept { return count_; }
    std::uint64_t min() const noexcept { return count_ ? min_ : 0; }
    std::uint64_t max() const noexcept { return max_; }
    double mean() const noexcept { return count_ ? static_cast<double>(sum_) / count_ : 0.0; }
    /// The value at `quantile` (0..1): the highest value of the bucket holding
    /// that rank, never above the largest value recorded.
    std::uint64_t percentile(double quantile) const noexcept;

    // Exposed for the unit test of the bucket layout.
    static std::size_t index_of(std::uint64_t value) noexcept;
    static std::uint64_t highest_in_bucket(std::size_t index) noexcept;

private:
    static constexpr int sub_bits = 7;                                // 128 sub-buckets per octave
    static constexpr std::size_t linear = std::size_t{2} << sub_bits; // 0..255 exact
    static constexpr std::size_t buckets =
        linear + (40 - sub_bits - 1) * (std::size_t{1} << sub_bits);

    std::array<std::uint64_t, buckets> counts_{};
    std::uint64_t count_ = 0;
    std::uint64_t sum_ = 0;
    std::uint64_t min_ = ~std::uint64_t{0};
    std::uint64_t max_ = 0;
};

} // namespace wampbench
