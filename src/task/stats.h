// docker stats' figures from the runtime's cgroup stats (the JSON a shim
// answers `stats` with: runc's `events --stats` data), plus the host's CPU
// time, CPU count and memory, which Docker reports beside them.
#pragma once

#include <cstdint>

#include <nlohmann/json.hpp>

#include "model/stats.h"

namespace berth::task {

struct HostFacts {
  uint64_t system_cpu_ns = 0;  // /proc/stat's first line, as Docker's system_cpu_usage
  int online_cpus = 0;
  uint64_t memory_bytes = 0;   // the limit shown for a container without one
};

HostFacts read_host_facts();

// Missing or mistyped fields stay zero. A memory limit of 0 or "unlimited"
// (above 2^62) is the host's memory, as Docker shows it. id, name and read
// are left to the caller; running is true.
model::ContainerStats stats_from_cgroup_json(const nlohmann::json& stats, const HostFacts& host);

}  // namespace berth::task
