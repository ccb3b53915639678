// wampbench's command line: one subcommand and its options.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "target.hpp"

namespace wampbench {

struct Options {
    std::string command; // rpc, pubsub, connect, idle
    Target target;
    unsigned threads = 1;
    double duration = 5.0;   // seconds measured
    double warmup = 1.0;     // seconds run before measuring
    std::uint64_t count = 0; // measure this many calls/events instead of a duration
    bool json = false;
    std::size_t payload = 100; // approximate encoded size of the arguments list
    // rpc
    unsigned callers = 1, callees = 1, in_flight = 64;
    double rate =
        0; // calls (or publications) per second over all senders; 0 = as fast as the window allows
    // pubsub
    unsigned publishers = 1, subscribers = 1, topics = 1;
    unsigned stalled = 0; // extra subscribers of topic 0 that stop reading at their first event
    // connect
    unsigned concurrency = 32;
    // idle
    unsigned sessions = 1000;
    int pid = 0; // the server process, for its CPU and memory
};

/// Parses argv; on error or --help prints to stderr/stdout and returns nullopt
/// with `exit_code` set.
std::optional<Options> parse_options(int argc, char** argv, int& exit_code);

} // namespace wampbench
