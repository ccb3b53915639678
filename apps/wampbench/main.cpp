// wampbench: a load generator for WAMP routers (see --help and docs/PERFORMANCE.md).
#include <csignal>

#include "benches.hpp"
#include "options.hpp"

int main(int argc, char** argv) {
    std::signal(SIGPIPE, SIG_IGN); // a router closing on us is reported, not fatal
    int exit_code = 0;
    auto options = wampbench::parse_options(argc, argv, exit_code);
    if (!options) return exit_code;
    if (options->command == "rpc") return wampbench::run_rpc(*options);
    if (options->command == "pubsub") return wampbench::run_pubsub(*options);
    if (options->command == "connect") return wampbench::run_connect(*options);
    return wampbench::run_idle(*options);
}
