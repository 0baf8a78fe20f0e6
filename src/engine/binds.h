// HostConfig.Binds ("-v SRC:DST[:OPTS]") and HostConfig.Mounts ("--mount")
// of type bind and tmpfs, as extra mounts for the spec. Named and
// anonymous volumes come with the volumes release and are refused clearly.
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "specgen/specgen.h"

namespace berth::engine {

// Checks the mounts at create (bad syntax, relative destinations, a
// missing --mount bind source) without touching the host.
Result<void> validate_binds(const nlohmann::json& host_config);
// At start: the mounts, creating missing -v bind sources as Docker does.
Result<std::vector<specgen::ExtraMount>> resolve_binds(const nlohmann::json& host_config);

}  // namespace berth::engine
