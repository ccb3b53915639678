// The four subcommands; each returns the process exit code.
#pragma once

#include "options.hpp"

namespace wampbench {

int run_rpc(const Options& options);
int run_pubsub(const Options& options);
int run_connect(const Options& options);
int run_idle(const Options& options);

} // namespace wampbench
