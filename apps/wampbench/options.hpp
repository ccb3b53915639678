// wampbench's command line: one subcommand and its options.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "target.hpp"

namespace wampbench {

/// Which sessions a URL is for: --url serves every role that has no URLs of its own.
enum class Role { any, caller, callee, publisher, subscriber };

struct Options {
    std::string command; // rpc, pubsub, connect, idle
    /// The first URL and the settings every session shares (serializer, realm,
    /// forwarder): the report's transport and the payload encoding come from it.
    Target target;
    /// --url, in the order given (never empty after parsing), and each role's own URLs.
    std::vector<Target> urls, caller_urls, callee_urls, publisher_urls, subscriber_urls;
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

    /// Where session `index` of `role` connects: the role's URLs (else --url's) in turn.
    /// The reference stays valid as long as the Options do (sessions keep it).
    const Target& target_for(Role role, std::size_t index) const;
    /// True when sessions are spread over more than one URL.
    bool spread() const;
    /// The URLs `role` uses, as given on the command line.
    const std::vector<Target>& urls_for(Role role) const;
};

/// Parses argv; on error or --help prints to stderr/stdout and returns nullopt
/// with `exit_code` set.
std::optional<Options> parse_options(int argc, char** argv, int& exit_code);

} // namespace wampbench
