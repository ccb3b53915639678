#include "histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace wampbench {

// Values below 256 have a bucket each. Above, a value whose highest set bit is
// bit b keeps its top 8 bits (b - 7 low bits dropped): octave b - 7 gets 128
// buckets indexed by those top bits minus 128.
std::size_t Histogram::index_of(std::uint64_t value) noexcept {
    if (value < linear) return static_cast<std::size_t>(value);
    const int msb = 63 - std::countl_zero(value);
    const int shift = msb - sub_bits;
    const auto top = static_cast<std::size_t>(value >> shift); // 128..255
    return linear + static_cast<std::size_t>(shift - 1) * (linear / 2) + (top - linear / 2);
}

std::uint64_t Histogram::highest_in_bucket(std::size_t index) noexcept {
    if (index < linear) return index;
    const std::size_t above = index - linear;
    const int shift = static_cast<int>(above / (linear / 2)) + 1;
    const std::uint64_t top = above % (linear / 2) + linear / 2;
    return ((top + 1) << shift) - 1;
}

void Histogram::record(std::uint64_t value) noexcept {
    value = std::min(value, max_value);
    ++counts_[index_of(value)];
    ++count_;
    sum_ += value;
    min_ = std::min(min_, value);
    max_ = std::max(max_, value);
}

void Histogram::merge(const Histogram& other) noexcept {
    for (std::size_t i = 0; i < buckets; ++i)
        counts_[i] += other.counts_[i];
    count_ += other.count_;
    sum_ += other.sum_;
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
}

std::uint64_t Histogram::percentile(double quantile) const noexcept {
    if (count_ == 0) return 0;
    quantile = std::clamp(quantile, 0.0, 1.0);
    const auto rank = std::max<std::uint64_t>(
        1, static_cast<std::uint64_t>(std::ceil(quantile * static_cast<double>(count_))));
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < buckets; ++i) {
        seen += counts_[i];
        if (seen >= rank) return std::min(highest_in_bucket(i), max_);
    }
    return max_;
}

} // namespace wampbench
