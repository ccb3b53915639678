// Regenerates the binary seed corpora:
//   make_seeds fuzz/corpus
// - each fuzz/corpus/json/seed_NN.json becomes msgpack/seed_NN.bin and cbor/seed_NN.bin;
// - each router scenario fuzz/seeds/router/NAME.txt becomes
//   router/NAME-{json,msgpack,cbor}.bin (the input format of router_fuzz.cpp);
// - rawsocket/: a client's handshake and frames (rawsocket_fuzz.cpp), in each
//   format, from the JSON seeds, plus refused handshakes and bad frame headers.
//
// A router scenario is one line per record:
//   # comment
//   config N        router configuration N (0-3, see router_fuzz.cpp); first
//   shutdown        shut the router down at the end (octet 0 bit 4)
//   C [JSON...]     connection C (0 or 1) sends this message, in the format
//   C !lost         connection C's transport is lost
//   0 !stall        connection 0 stops reading what the router sends (again: resumes)
//   C !raw TEXT     connection C sends TEXT as it is (garbage in any format)
#include <nexus/serialize/serializer.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <vector>

namespace fs = std::filesystem;
using namespace nexus;

namespace {

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

void write_file(const fs::path& path, const std::string& bytes) {
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << bytes;
}

std::vector<fs::path> sorted_files(const fs::path& dir, std::string_view extension) {
    std::vector<fs::path> files;
    if (!fs::is_directory(dir)) return files;
    for (const auto& entry : fs::directory_iterator(dir))
        if (entry.path().extension() == extension) files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    return files;
}

bool fail(const fs::path& where, const std::string& what) {
    std::cerr << where.string() << ": " << what << "\n";
    return false;
}

// A router_fuzz input for `script` in `format`.
bool router_seed(const fs::path& path, const std::string& script, wamp::Format format,
                 std::string& out) {
    std::uint8_t head = static_cast<std::uint8_t>(format); // json 0, msgpack 1, cbor 2
    std::string records;
    std::istringstream lines(script);
    std::string line;
    int number = 0;
    while (std::getline(lines, line)) {
        ++number;
        const std::string where = "line " + std::to_string(number);
        if (line.empty() || line[0] == '#') continue;
        if (line.starts_with("config ")) {
            head |= static_cast<std::uint8_t>((std::stoi(line.substr(7)) & 3) << 2);
            continue;
        }
        if (line == "shutdown") {
            head |= 0x10;
            continue;
        }
        if (line.size() < 3 || (line[0] != '0' && line[0] != '1') || line[1] != ' ')
            return fail(path, where + ": expected \"C [message]\", \"C !lost\", \"0 !stall\" "
                                      "or \"C !raw ...\"");
        std::uint8_t control = static_cast<std::uint8_t>(line[0] - '0');
        const std::string rest = line.substr(2);
        std::string body;
        if (rest == "!lost") {
            control |= 1 << 1;
        } else if (rest == "!stall") {
            control |= 2 << 1;
        } else if (rest.starts_with("!raw ")) {
            body = rest.substr(5);
        } else {
            auto message = serialize::decode(wamp::Format::json, rest);
            if (!message) return fail(path, where + ": " + message.error().message);
            auto bytes = serialize::encode(format, *message);
            if (!bytes) return fail(path, where + ": " + bytes.error().message);
            body = std::move(*bytes);
        }
        if (body.size() > 0xFFFF) return fail(path, where + ": longer than 65535 octets");
        records += static_cast<char>(control);
        records += static_cast<char>(body.size() >> 8);
        records += static_cast<char>(body.size() & 0xFF);
        records += body;
    }
    out = static_cast<char>(head) + records;
    return true;
}

std::string frame(std::uint8_t first_octet, const std::string& body) {
    const std::size_t n = body.size();
    return std::string{static_cast<char>(first_octet), static_cast<char>(n >> 16),
                       static_cast<char>(n >> 8), static_cast<char>(n)} +
           body;
}

std::string handshake(std::uint8_t length_exponent, std::uint8_t serializer) {
    return {0x7F, static_cast<char>((length_exponent << 4) | serializer), 0, 0};
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: make_seeds CORPUS_DIR\n";
        return 2;
    }
    const fs::path root = argv[1];
    int written = 0;

    // Decoder corpora, and the messages the RawSocket streams carry.
    std::vector<wamp::Message> messages;
    for (const fs::path& path : sorted_files(root / "json", ".json")) {
        auto message = serialize::decode(wamp::Format::json, read_file(path));
        if (!message) {
            fail(path, message.error().message);
            return 1;
        }
        for (wamp::Format f : {wamp::Format::msgpack, wamp::Format::cbor}) {
            auto bytes = serialize::encode(f, *message);
            if (!bytes) {
                fail(path, bytes.error().message);
                return 1;
            }
            write_file(root / wamp::format_name(f) / path.filename().replace_extension(".bin"),
                       *bytes);
            ++written;
        }
        messages.push_back(std::move(*message));
    }

    // Router scenarios.
    for (const fs::path& path : sorted_files(root.parent_path() / "seeds" / "router", ".txt")) {
        const std::string script = read_file(path);
        for (wamp::Format f : wamp::all_formats) {
            std::string seed;
            if (!router_seed(path, script, f, seed)) return 1;
            write_file(
                root / "router" /
                    (path.stem().string() + "-" + std::string(wamp::format_name(f)) + ".bin"),
                seed);
            ++written;
        }
    }

    // RawSocket: a session's worth of frames per format (every fifth JSON
    // seed, so that each stream stays small), a PING, and frames the server refuses.
    if (messages.empty()) return fail(root / "json", "no seeds"), 1;
    for (wamp::Format f : wamp::all_formats) {
        const std::uint8_t code = wamp::rawsocket_serializer_code(f);
        std::string stream = handshake(15, code);
        for (std::size_t i = 0; i < messages.size(); i += 5)
            stream += frame(0, *serialize::encode(f, messages[i]));
        stream += frame(1, "ping payload");
        stream += frame(2, "");
        write_file(root / "rawsocket" / ("session-" + std::string(wamp::format_name(f)) + ".bin"),
                   stream);
        ++written;
    }
    const std::string hello = *serialize::encode(wamp::Format::json, messages.at(0));
    const std::array<std::pair<const char*, std::string>, 7> rawsocket_cases{{
        {"small-limit", handshake(0, 1) + frame(0, hello)}, // 512 octets: HELLO too long?
        {"bad-serializer", handshake(15, 9)},
        {"reserved-octets", std::string{0x7F, static_cast<char>(0xF1), 0, 1}},
        {"not-rawsocket", "GET /ws HTTP/1.1\r\n\r\n"},
        {"reserved-frame-bit", handshake(15, 1) + frame(0x08, hello)},
        {"unknown-frame-type", handshake(15, 1) + frame(3, "")},
        {"truncated-frame", handshake(15, 1) + frame(0, hello).substr(0, 20)},
    }};
    for (const auto& [name, bytes] : rawsocket_cases) {
        write_file(root / "rawsocket" / (std::string(name) + ".bin"), bytes);
        ++written;
    }

    std::cout << "wrote " << written << " seeds\n";
    return 0;
}
