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
#include <iostream>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <nexus/client/auth.hpp>

#include "serialize/base64.hpp"

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
            if (value == "argon2id13" || value == "argon2id-13")
                o.kdf = ScramKdf::argon2id13;
            else if (value == "pbkdf2")
                o.kdf = ScramKdf::pbkdf2;
            else
                throw std::invalid_argument("--kdf: expected argon2id13 or pbkdf2");
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

// One line of standard input, without echo when it is a terminal.
std::string read_password() {
    const bool tty = isatty(STDIN_FILENO) == 1;
    termios saved{};
    if (tty) {
        std::cerr << "Password: " << std::flush;
        tcgetattr(STDIN_FILENO, &saved);
        termios quiet = saved;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    std::string password;
    std::getline(std::cin, password);
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
        std::cerr << "\n";
    }
    if (!password.empty() && password.back() == '\r') password.pop_back();
    return password;
}

std::string base64(const std::vector<std::uint8_t>& bytes) {
    std::string out;
    nexus::serialize::detail::base64_append(bytes.data(), bytes.size(), out);
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
        boost::json::object scram{
            {"authmethod", std::string(nexus::router::scram_authmethod(o.dialect))},
            {"kdf", argon2 ? "argon2id13" : "pbkdf2"},
            {"salt", c.salt},
            {"iterations", c.iterations},
        };
        if (argon2) scram["memory"] = c.memory;
        scram["stored_key"] = base64(c.stored_key);
        scram["server_key"] = base64(c.server_key);
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
