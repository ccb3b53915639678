// Regenerates the MessagePack and CBOR seed corpora from the JSON seeds:
//   make_seeds fuzz/corpus
// Each fuzz/corpus/json/seed_NN.json becomes msgpack/seed_NN.bin and cbor/seed_NN.bin.
#include <nexus/serialize/serializer.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

namespace fs = std::filesystem;
using namespace nexus;

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: make_seeds CORPUS_DIR\n";
        return 2;
    }
    const fs::path root = argv[1];
    int written = 0;
    for (const auto& entry : fs::directory_iterator(root / "json")) {
        std::ifstream in(entry.path(), std::ios::binary);
        std::stringstream text;
        text << in.rdbuf();
        auto message = serialize::decode(wamp::Format::json, text.str());
        if (!message) {
            std::cerr << entry.path() << ": " << message.error().message << "\n";
            return 1;
        }
        for (wamp::Format f : {wamp::Format::msgpack, wamp::Format::cbor}) {
            auto bytes = serialize::encode(f, *message);
            if (!bytes) {
                std::cerr << entry.path() << ": " << bytes.error().message << "\n";
                return 1;
            }
            fs::create_directories(root / wamp::format_name(f));
            const fs::path out =
                root / wamp::format_name(f) / entry.path().filename().replace_extension(".bin");
            std::ofstream(out, std::ios::binary) << *bytes;
            ++written;
        }
    }
    std::cout << "wrote " << written << " seeds\n";
    return 0;
}
