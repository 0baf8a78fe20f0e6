// docker stats' figures from the runtime's cgroup stats (the JSON a shim
// answers `stats` with: runc's `events --stats` data), plus the host's CPU
// time, CPU count and memory (stats::read_host_facts), which Docker reports
// beside them.
#pragma once

#include <cstdint>

#include <nlohmann/json.hpp>

#include "model/stats.h"
#include "stats/cgroup_reader.h"

namespace berth::task {

// Missing or mistyped fields stay zero. A memory limit of 0 or "unlimited"
// (above 2^62) is the host's memory, as Docker shows it. id, name and read
// are left to the caller; running is true.
model::ContainerStats stats_from_cgroup_json(const nlohmann::json& stats, const stats::HostFacts& host);

}  // namespace berth::task
