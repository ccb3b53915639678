// nexus-scram: derives the WAMP-SCRAM credential a router keeps for a
// password (salt, costs, StoredKey, ServerKey; never the password), printed
// as the "scram" object of a nexus.json principal or as a whole principal.
//
//   echo -n 'pass' | nexus-scram [--kdf argon2id13|pbkdf2] [--iterations N]
//                                [--memory KIB] [--salt BASE64]
//                                [--authmethod wamp-scram|scram]
//                                [--authid ID --authrole ROLE]
//
// The password is read from standard input (one line; at a terminal without
// echo), never from the command line, where other users' `ps` would see it.
#include <termios.h>
#include <unistd.h>

#include <charconv>
#include <csignal>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <nexus/client/auth.hpp>

#include "router/auth/scram_math.hpp"

namespace {

using nexus::router::ScramDialect;
using nexus::router::ScramKdf;

constexpr std::string_view usage =
    "usage: nexus-scram [--kdf argon2id13|pbkdf2] [--iterations N] [--memory KIB]\n"
    "                   [--salt BASE64] [--authmethod wamp-scram|scram]\n"
    "                   [--authid ID --authrole ROLE]\n"
    "Reads the password from standard input and prints the WAMP-SCRAM credential\n"
    "for nexus.json (a principal's \"scram\" object, or the whole principal with\n"
    "--authid and --authrole). Defaults: argon2id13 with 3 iterations and 65536 KiB,\n"
    "pbkdf2 with 600000 iterations, a random 16-octet salt, authmethod wamp-scram\n"
    "(\"scram\": the draft autobahn-python 22 speaks; argon2id13 only).\n";

struct Options {
    ScramKdf kdf = ScramKdf::argon2id13;
    std::optional<std::uint32_t> iterations, memory;
    std::string salt;
    ScramDialect dialect = ScramDialect::wamp_scram;
    std::string authid, authrole;
};

std::uint32_t number(std::string_view flag, std::string_view text) {
    std::uint32_t n = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc() || end != text.data() + text.size() || n == 0)
        throw std::invalid_argument(std::string(flag) + ": expected a positive integer");
    return n;
}

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string_view flag = argv[i];
        if (flag == "--help" || flag == "-h") {
            std::cout << usage;
            std::exit(0);
        }
        if (i + 1 >= argc) throw std::invalid_argument(std::string(flag) + ": missing value");
        const std::string_view value = argv[++i];
        if (flag == "--kdf") {
            auto kdf = nexus::router::auth::scram::parse_kdf(value);
            if (!kdf) throw std::invalid_argument("--kdf: expected argon2id13 or pbkdf2");
            o.kdf = *kdf;
        } else if (flag == "--iterations") {
            o.iterations = number(flag, value);
        } else if (flag == "--memory") {
            o.memory = number(flag, value);
        } else if (flag == "--salt") {
            o.salt = value;
        } else if (flag == "--authmethod") {
            if (value == "wamp-scram")
                o.dialect = ScramDialect::wamp_scram;
            else if (value == "scram")
                o.dialect = ScramDialect::crossbar;
            else
                throw std::invalid_argument("--authmethod: expected wamp-scram or scram");
        } else if (flag == "--authid") {
            o.authid = value;
        } else if (flag == "--authrole") {
            o.authrole = value;
        } else {
            throw std::invalid_argument("unknown option " + std::string(flag));
        }
    }
    if (o.authid.empty() != o.authrole.empty())
        throw std::invalid_argument("--authid and --authrole go together");
    if (o.kdf == ScramKdf::pbkdf2 && o.memory)
        throw std::invalid_argument("--memory: PBKDF2 has no memory cost");
    return o;
}

// The terminal's settings while echo is off, for a signal to restore.
termios saved_terminal{};

// Ctrl-C at the password prompt must not leave the terminal without echo:
// restore it (tcsetattr is async-signal-safe), then die of the signal as
// the default action would.
extern "C" void restore_echo_and_die(int signal) {
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_terminal);
    std::signal(signal, SIG_DFL);
    std::raise(signal);
}

// One line of standard input, without echo when it is a terminal.
std::string read_password() {
    const bool tty = isatty(STDIN_FILENO) == 1;
    constexpr int signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP};
    if (tty) {
        std::cerr << "Password: " << std::flush;
        tcgetattr(STDIN_FILENO, &saved_terminal);
        for (int signal : signals)
            std::signal(signal, restore_echo_and_die);
        termios quiet = saved_terminal;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    std::string password;
    std::getline(std::cin, password);
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_terminal);
        for (int signal : signals)
            std::signal(signal, SIG_DFL);
        std::cerr << "\n";
    }
    if (!password.empty() && password.back() == '\r') password.pop_back();
    return password;
}

// A credential object as JSON: its values are strings and integers.
boost::json::object to_json(const nexus::wamp::Object& object) {
    boost::json::object out;
    for (const auto& [key, value] : object) {
        if (const std::string* text = value.if_string())
            out[key] = *text;
        else if (auto n = value.to_uint())
            out[key] = *n;
    }
    return out;
}

} // namespace

int main(int argc, char** argv) {
    try {
        const Options o = parse(argc, argv);
        const std::string password = read_password();
        if (password.empty()) throw std::invalid_argument("an empty password");
        const bool argon2 = o.kdf == ScramKdf::argon2id13;
        const std::uint32_t iterations =
            o.iterations.value_or(argon2 ? nexus::router::scram_default_argon2_iterations
                                         : nexus::router::scram_default_pbkdf2_iterations);
        const std::uint32_t memory =
            argon2 ? o.memory.value_or(nexus::router::scram_default_argon2_memory) : 0;
        const auto c = nexus::client::auth::scram_derive_credential(password, o.kdf, iterations,
                                                                    memory, o.dialect, o.salt);
        const boost::json::object scram = to_json(nexus::router::scram_credential_to_object(c));
        if (o.authid.empty()) {
            std::cout << boost::json::serialize(scram) << "\n";
        } else {
            std::cout << boost::json::serialize(boost::json::object{
                             {"authid", o.authid}, {"authrole", o.authrole}, {"scram", scram}})
                      << "\n";
        }
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "nexus-scram: " << e.what() << "\n" << usage;
        return 2;
    }
}
