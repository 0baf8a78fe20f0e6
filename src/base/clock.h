// Wall-clock timestamps as the OCI state, Docker and logs write them.
#pragma once

#include <string>

namespace berth {

// Now in RFC 3339 with nanoseconds, UTC: "2026-11-22T20:11:05.123456780Z". Always nine
// digits (go::format_rfc3339_nano_fixed), so stored creation times sort as strings.
std::string rfc3339_now();

}  // namespace berth
