// Wall-clock timestamps as the OCI state, Docker and logs write them.
#pragma once

#include <string>

namespace berth {

// Now in RFC 3339 with nanoseconds, UTC: "2026-11-22T20:11:05.123456789Z".
std::string rfc3339_now();

}  // namespace berth
