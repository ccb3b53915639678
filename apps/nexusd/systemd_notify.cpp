#include "systemd_notify.hpp"

#include <string>

#if NEXUSD_HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

namespace nexusd::systemd {

void notify(std::string_view state) {
#if NEXUSD_HAVE_LIBSYSTEMD
    // 0: keep NOTIFY_SOCKET in the environment for later notifications.
    (void)sd_notify(0, std::string(state).c_str());
#else
    (void)state;
#endif
}

} // namespace nexusd::systemd
