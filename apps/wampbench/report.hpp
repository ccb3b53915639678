// The result of one bench run, printed as a table or as one JSON object
// (scripts/run-benchmarks.sh reads the JSON).
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "histogram.hpp"
#include "options.hpp"

namespace wampbench {

class Report {
public:
    explicit Report(const Options& options);
    void add(std::string name, double value, std::string unit);
    /// Latency in nanoseconds; printed in microseconds.
    void set_latency(const Histogram& h) { latency_ = h; }
    void set_error(std::string error) { error_ = std::move(error); }
    bool failed() const { return !error_.empty(); }

    void print(std::ostream& out, bool json) const;

private:
    void print_table(std::ostream& out) const;
    void print_json(std::ostream& out) const;

    struct Metric {
        std::string name;
        double value;
        std::string unit;
    };
    std::vector<std::pair<std::string, std::string>> config_;
    std::vector<Metric> metrics_;
    std::optional<Histogram> latency_;
    std::string error_;
};

} // namespace wampbench
