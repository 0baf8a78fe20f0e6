// The container's mount list: Docker's defaults, then the mounts the
// HostConfig and the engine ask for (a later mount on the same destination
// replaces a default one).
#pragma once

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "specgen/host_settings.h"
#include "specgen/specgen.h"

namespace berth::specgen::detail {

Result<nlohmann::json> container_mounts(const SpecInput& in, const HostSettings& hs);

}  // namespace berth::specgen::detail
