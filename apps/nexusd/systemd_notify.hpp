// Tells systemd (Type=notify units) where nexusd is: READY=1 once every
// listener is open, STOPPING=1 when it starts draining, STATUS=... lines.
// Nothing happens when nexusd was not started by systemd (no NOTIFY_SOCKET)
// or was built without libsystemd.
#pragma once

#include <string_view>

namespace nexusd::systemd {

void notify(std::string_view state);

} // namespace nexusd::systemd
