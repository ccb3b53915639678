// Words for what libnats reports.
#pragma once

#include <string>

#include <nats/nats.h>

namespace nexus::cluster {

/// The status's name and the calling thread's last libnats error text, which
/// says more (the server's own error, the file that could not be read).
inline std::string nats_error(natsStatus status) {
    std::string text = natsStatus_GetText(status);
    natsStatus last = NATS_OK;
    const char* detail = nats_GetLastError(&last);
    if (detail && *detail && last == status && text != detail) text += std::string(": ") + detail;
    return text;
}

} // namespace nexus::cluster
