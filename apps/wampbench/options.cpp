#include "options.hpp"

#include <algorithm>
#include <charconv>
#include <iostream>
#include <string_view>

namespace wampbench {
namespace {

constexpr const char* usage_text =
    R"(usage: wampbench COMMAND [options]

Load generator for WAMP routers (and for bench/forwarder, the raw frame reference).

commands:
  rpc       C callers call procedures of M callees; calls/s and round-trip latency
  pubsub    P publishers, T topics, S subscribers per topic; events/s, delivery latency, lost events
  connect   sessions established per second (TCP + transport handshake + HELLO/WELCOME)
  idle      hold K joined sessions; the router's resident memory per session (needs --pid)

common options:
  --url URL           rs://HOST:PORT (RawSocket), ws://HOST:PORT/PATH (WebSocket) [rs://127.0.0.1:8081];
                      repeated: the sessions take the URLs in turn (e.g. the nodes of a cluster)
  --serializer S      json, msgpack or cbor [msgpack]
  --realm URI         [realm1]
  --target T          router, or forwarder (bench/forwarder: channel joins instead of WAMP sessions) [router]
  --threads N         bench threads, each with its own event loop [1]
  --duration SEC      measured time [5]
  --warmup SEC        unmeasured time before [1]
  --count N           measure N calls/events instead of a duration
  --payload BYTES     size of the arguments list [100]
  --rate R            calls or publications per second over all senders (0: closed loop) [0]
  --pid PID           the server's process id: report its CPU use (and memory for idle)
  --json              one JSON object instead of the table
rpc:     --callers C [1] --callees M [1] --in-flight W per caller [64]
         --caller-url URL, --callee-url URL (repeatable): where callers, callees connect [--url]
pubsub:  --publishers P [1] --subscribers S per topic [1] --topics T [1] --in-flight W per publisher [8]
         --stalled-subscribers N [0]: extra subscribers of topic 0 that stop reading at their first
           event (slow consumers; not counted in events or lost events)
         --publisher-url URL, --subscriber-url URL (repeatable): where publishers, subscribers
           connect [--url]
With more than one URL, measuring starts once every session sees the others' work: each caller
has had a result from its procedure, each subscriber an event from each publisher of its topic
(a cluster announces registrations and subscriptions to its other nodes a moment later).
connect: --concurrency N sessions being set up at once [32]
idle:    --sessions K [1000] (held for --duration)
)";

template <class T> bool number(std::string_view text, T& out) {
    if constexpr (std::is_floating_point_v<T>) {
        try {
            std::size_t used = 0;
            out = static_cast<T>(std::stod(std::string(text), &used));
            return used == text.size() && out >= 0;
        } catch (const std::exception&) {
            return false;
        }
    } else {
        auto res = std::from_chars(text.data(), text.data() + text.size(), out);
        return res.ec == std::errc{} && res.ptr == text.data() + text.size();
    }
}

/// The role a --*-url option is for, and the command it belongs to.
struct RoleUrl {
    std::string_view option;
    Role role;
    std::string_view command;
};
constexpr RoleUrl role_urls[] = {{"--caller-url", Role::caller, "rpc"},
                                 {"--callee-url", Role::callee, "rpc"},
                                 {"--publisher-url", Role::publisher, "pubsub"},
                                 {"--subscriber-url", Role::subscriber, "pubsub"}};

} // namespace

const std::vector<Target>& Options::urls_for(Role role) const {
    const std::vector<Target>* own = nullptr;
    switch (role) {
    case Role::caller: own = &caller_urls; break;
    case Role::callee: own = &callee_urls; break;
    case Role::publisher: own = &publisher_urls; break;
    case Role::subscriber: own = &subscriber_urls; break;
    case Role::any: break;
    }
    return own && !own->empty() ? *own : urls;
}

const Target& Options::target_for(Role role, std::size_t index) const {
    const auto& list = urls_for(role);
    return list[index % list.size()];
}

bool Options::spread() const {
    return urls.size() > 1 || !caller_urls.empty() || !callee_urls.empty() ||
           !publisher_urls.empty() || !subscriber_urls.empty();
}

std::optional<Options> parse_options(int argc, char** argv, int& exit_code) {
    exit_code = 1;
    Options o;
    if (argc < 2) {
        std::cerr << usage_text;
        return std::nullopt;
    }
    o.command = argv[1];
    if (o.command == "--help" || o.command == "-h") {
        std::cout << usage_text;
        exit_code = 0;
        return std::nullopt;
    }
    if (o.command != "rpc" && o.command != "pubsub" && o.command != "connect" &&
        o.command != "idle") {
        std::cerr << "wampbench: unknown command " << o.command << " (see --help)\n";
        return std::nullopt;
    }
    if (o.command == "pubsub") o.in_flight = 8;
    // Parsed once --serializer, --realm and --target are known, whatever their order.
    std::vector<std::pair<Role, std::string>> url_args;
    for (int i = 2; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            std::cout << usage_text;
            exit_code = 0;
            return std::nullopt;
        }
        if (arg == "--json") {
            o.json = true;
            continue;
        }
        if (i + 1 >= argc) {
            std::cerr << "wampbench: " << arg << " needs a value\n";
            return std::nullopt;
        }
        const std::string_view v = argv[++i];
        bool ok = true;
        const auto role_url = std::find_if(std::begin(role_urls), std::end(role_urls),
                                           [&](const RoleUrl& r) { return r.option == arg; });
        if (arg == "--url") {
            url_args.emplace_back(Role::any, v);
        } else if (role_url != std::end(role_urls)) {
            if (role_url->command != o.command) {
                std::cerr << "wampbench: " << arg << " is for " << role_url->command << "\n";
                return std::nullopt;
            }
            url_args.emplace_back(role_url->role, v);
        } else if (arg == "--serializer") {
            auto f = nexus::wamp::parse_format(v);
            ok = f.has_value();
            if (f) o.target.format = *f;
        } else if (arg == "--realm") {
            o.target.realm = v;
        } else if (arg == "--target") {
            ok = v == "router" || v == "forwarder";
            o.target.forwarder = v == "forwarder";
        } else if (arg == "--threads") {
            ok = number(v, o.threads) && o.threads > 0 && o.threads <= 256;
        } else if (arg == "--duration") {
            ok = number(v, o.duration) && o.duration > 0;
        } else if (arg == "--warmup") {
            ok = number(v, o.warmup);
        } else if (arg == "--count") {
            ok = number(v, o.count);
        } else if (arg == "--payload") {
            ok = number(v, o.payload) && o.payload <= (1u << 23);
        } else if (arg == "--rate") {
            ok = number(v, o.rate);
        } else if (arg == "--pid") {
            ok = number(v, o.pid) && o.pid > 0;
        } else if (arg == "--callers") {
            ok = number(v, o.callers) && o.callers > 0;
        } else if (arg == "--callees") {
            ok = number(v, o.callees) && o.callees > 0;
        } else if (arg == "--in-flight") {
            ok = number(v, o.in_flight) && o.in_flight > 0;
        } else if (arg == "--publishers") {
            ok = number(v, o.publishers) && o.publishers > 0;
        } else if (arg == "--subscribers") {
            ok = number(v, o.subscribers) && o.subscribers > 0;
        } else if (arg == "--stalled-subscribers") {
            ok = number(v, o.stalled);
        } else if (arg == "--topics") {
            ok = number(v, o.topics) && o.topics > 0;
        } else if (arg == "--concurrency") {
            ok = number(v, o.concurrency) && o.concurrency > 0;
        } else if (arg == "--sessions") {
            ok = number(v, o.sessions) && o.sessions > 0;
        } else {
            std::cerr << "wampbench: unknown option " << arg << " (see --help)\n";
            return std::nullopt;
        }
        if (!ok) {
            std::cerr << "wampbench: bad value for " << arg << ": " << v << "\n";
            return std::nullopt;
        }
    }
    if (std::none_of(url_args.begin(), url_args.end(),
                     [](const auto& u) { return u.first == Role::any; }))
        url_args.emplace_back(Role::any, o.target.url);
    const Target common = o.target;
    for (std::size_t i = 0; i < url_args.size(); ++i) {
        const auto& [role, url] = url_args[i];
        Target t = common;
        if (auto err = parse_url(url, t)) {
            std::cerr << "wampbench: " << *err << "\n";
            return std::nullopt;
        }
        if (t.forwarder && t.transport != Target::Transport::rawsocket) {
            std::cerr << "wampbench: the forwarder speaks RawSocket only (use an rs:// url)\n";
            return std::nullopt;
        }
        if (i == 0) o.target = t;
        switch (role) {
        case Role::any: o.urls.push_back(std::move(t)); break;
        case Role::caller: o.caller_urls.push_back(std::move(t)); break;
        case Role::callee: o.callee_urls.push_back(std::move(t)); break;
        case Role::publisher: o.publisher_urls.push_back(std::move(t)); break;
        case Role::subscriber: o.subscriber_urls.push_back(std::move(t)); break;
        }
    }
    if (o.target.forwarder && o.spread()) {
        // Its channels live in one process: a caller and its callee must meet there.
        std::cerr << "wampbench: the forwarder takes one url\n";
        return std::nullopt;
    }
    if (o.command == "pubsub" && o.publishers < o.topics) {
        std::cerr << "wampbench: pubsub needs at least one publisher per topic (--publishers >= "
                     "--topics)\n";
        return std::nullopt;
    }
    if (o.command == "idle" && o.pid == 0)
        std::cerr << "wampbench: idle without --pid reports no memory figures\n";
    exit_code = 0;
    return o;
}

} // namespace wampbench
