# Writes OUTPUT, a C++ source defining nexusd::http::dashboard_html() as the
# contents of INPUT (run at build time: cmake -DINPUT=... -DOUTPUT=... -P embed.cmake).
file(READ "${INPUT}" content)
string(FIND "${content}" ")nexus_embedded\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${INPUT} contains the raw string delimiter )nexus_embedded\"")
endif()
set(source "// Generated from dashboard.html by embed.cmake; do not edit.\n#include \"http/dashboard.hpp\"\n\nnamespace nexusd::http {\n\nstd::string_view dashboard_html() {\n    static constexpr char text[] = R\"nexus_embedded(${content})nexus_embedded\";\n    return {text, sizeof text - 1};\n}\n\n} // namespace nexusd::http\n")
file(WRITE "${OUTPUT}.tmp" "${source}")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
