// NatsOptions (nexus/cluster/nats.hpp) as libnats's natsOptions: servers,
// credentials, TLS and the reconnect policy. The callbacks are the bus's to set.
#pragma once

#include <nexus/cluster/nats.hpp>

#include <memory>

#include <nats/nats.h>

namespace nexus::cluster {

struct NatsOptionsDeleter {
    void operator()(natsOptions* o) const { natsOptions_Destroy(o); }
};
using NatsOptionsPtr = std::unique_ptr<natsOptions, NatsOptionsDeleter>;

/// Throws std::invalid_argument naming what libnats refused.
NatsOptionsPtr make_nats_options(const NatsOptions& options);

} // namespace nexus::cluster
