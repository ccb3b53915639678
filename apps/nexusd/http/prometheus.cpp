#include "http/prometheus.hpp"

#include <charconv>
#include <cmath>

namespace nexusd::http {

namespace {

// HELP text: backslash and line feed escaped; label values: also the double quote.
void escape(std::string& out, std::string_view text, bool quote) {
    for (char c : text) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '\n')
            out += "\\n";
        else if (quote && c == '"')
            out += "\\\"";
        else
            out += c;
    }
}

} // namespace

void PrometheusText::family(std::string_view name, std::string_view type, std::string_view help) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    escape(out_, help, false);
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
}

void PrometheusText::labels(Labels labels) {
    if (labels.size() == 0) return;
    out_ += '{';
    bool first = true;
    for (const auto& [name, value] : labels) {
        if (!first) out_ += ',';
        first = false;
        out_ += name;
        out_ += "=\"";
        escape(out_, value, true);
        out_ += '"';
    }
    out_ += '}';
}

void PrometheusText::sample(std::string_view name, Labels l, std::uint64_t value) {
    out_ += name;
    labels(l);
    out_ += ' ';
    out_ += std::to_string(value);
    out_ += '\n';
}

void PrometheusText::sample(std::string_view name, Labels l, double value) {
    out_ += name;
    labels(l);
    out_ += ' ';
    out_ += number(value);
    out_ += '\n';
}

void PrometheusText::sample_raw(std::string_view name, std::string_view labels,
                                std::string_view value) {
    out_ += name;
    if (!labels.empty()) {
        out_ += '{';
        out_ += labels;
        out_ += '}';
    }
    out_ += ' ';
    out_ += value;
    out_ += '\n';
}

std::string PrometheusText::label(std::string_view name, std::string_view value) {
    std::string out(name);
    out += "=\"";
    escape(out, value, true);
    out += '"';
    return out;
}

std::string PrometheusText::number(double value) {
    if (std::isnan(value)) return "NaN";
    if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
    char buffer[32];
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
    return ec == std::errc() ? std::string(buffer, end) : std::string("NaN");
}

} // namespace nexusd::http
