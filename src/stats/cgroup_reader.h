// Reads one container's counters straight from its cgroup files and its
// network namespace (/proc/<pid>/net/dev), for the shared sampler. Lean on
// purpose: a sample of 100 containers is ~1500 small reads, so no JSON and
// no allocation per number. A missing file (controller absent, older kernel)
// leaves its fields at zero, as runc's stats do.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/stats.h"

namespace berth::stats {

// The host's side of a sample (Docker reports it beside the container's).
struct HostFacts {
  uint64_t system_cpu_ns = 0;  // /proc/stat's first line (user..steal), as Docker's system_cpu_usage
  int online_cpus = 0;
  uint64_t memory_bytes = 0;  // the limit shown for a container without one
  long clock_ticks = 100;     // USER_HZ, for v1 cpuacct.stat
};

// `proc_root` is "/proc" except in tests.
HostFacts read_host_facts(const std::string& proc_root = "/proc");

// cpu (no per-CPU list), memory (limit 0 or "unlimited" shown as the host's memory, as Docker
// does), pids, blkio, oom kills; networks from proc_root/<pid>/net/dev when
// pid > 0 (the loopback left out, as Docker lists only the container's
// endpoints). running is set; id, name and read are the caller's.
// nullopt when the container's cgroup directory is gone (it ended).
std::optional<model::ContainerStats> read_container_stats(const model::CgroupDirs& dirs, pid_t pid,
                                                          const HostFacts& host, const std::string& proc_root = "/proc");

// /proc/net/dev's table (two header lines, then "iface: 16 numbers").
std::vector<model::NetworkStats> parse_net_dev(std::string_view text, bool skip_loopback = true);

// cAdvisor's working set: usage minus inactive file pages (v1
// total_inactive_file, v2 inactive_file), never below zero.
uint64_t working_set_bytes(const model::MemoryStats& memory);

}  // namespace berth::stats
