// --add-host / HostConfig.ExtraHosts: "HOST:IP" (or "HOST=IP"), lines added
// to a container's /etc/hosts. Checked at create, so a bad entry is a 400
// there rather than a failed start.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "base/error.h"

namespace berth::engine {

// The special address of `--add-host NAME:host-gateway`: the host, as seen
// from containers (the daemon's host-gateway-ip, else the default bridge's
// gateway), filled in when the container's /etc/hosts is written.
inline constexpr const char* kHostGateway = "host-gateway";

struct ExtraHost {
  std::string host, ip;  // ip may be kHostGateway
};

// InvalidArgument in Docker's words ("invalid IP address in add-host: \"x\"").
Result<std::vector<ExtraHost>> parse_extra_hosts(const std::vector<std::string>& entries);

}  // namespace berth::engine
