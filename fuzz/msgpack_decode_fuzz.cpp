#include "decode_roundtrip.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    return nexus::fuzz::decode_roundtrip(nexus::wamp::Format::msgpack, data, size);
}
