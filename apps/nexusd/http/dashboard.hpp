// The dashboard page (dashboard.html, embedded in the binary at build time):
// one self-contained HTML document, nothing loaded from elsewhere.
#pragma once

#include <string_view>

namespace nexusd::http {

std::string_view dashboard_html();

} // namespace nexusd::http
