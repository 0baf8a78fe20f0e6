// --add-host / HostConfig.ExtraHosts: "HOST:IP" (or "HOST=IP"), lines added
// to a container's /etc/hosts. Checked at create, so a bad entry is a 400
// there rather than a failed start.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "base/error.h"

namespace berth::engine {

struct ExtraHost {
  std::string host, ip;
};

// InvalidArgument in Docker's words ("invalid IP address in add-host: \"x\"").
Result<std::vector<ExtraHost>> parse_extra_hosts(const std::vector<std::string>& entries);

}  // namespace berth::engine
