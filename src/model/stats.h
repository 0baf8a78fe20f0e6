// One sample of a container's resource use (docker stats), as the Task
// implementation reads it; the API edge adds the previous sample for rates.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace berth::model {

struct CpuStats {
  uint64_t total_ns = 0, kernel_ns = 0, user_ns = 0;
  std::vector<uint64_t> per_cpu_ns;
  uint64_t system_ns = 0;  // the host's CPU time, for Docker's percentage
  int online_cpus = 0;
  uint64_t periods = 0, throttled_periods = 0, throttled_ns = 0;
};

struct MemoryStats {
  uint64_t usage = 0, max_usage = 0, failcnt = 0, limit = 0;
  std::map<std::string, uint64_t> raw;  // memory.stat
};

struct BlkioEntry {
  uint64_t major = 0, minor = 0;
  std::string op;
  uint64_t value = 0;
};

// One interface of the container's network namespace (/proc/<pid>/net/dev).
struct NetworkStats {
  std::string name;
  uint64_t rx_bytes = 0, rx_packets = 0, rx_errors = 0, rx_dropped = 0;
  uint64_t tx_bytes = 0, tx_packets = 0, tx_errors = 0, tx_dropped = 0;
};

// Where an engine-side sampler reads a running task's counters itself, with
// no call to the task per sample: the cgroup directory of each controller
// (v1 and hybrid) or the one cgroup2 directory (v2), and the init's pid for
// its network namespace's counters.
struct CgroupDirs {
  bool v2 = false;
  std::string unified;  // v2: the container's cgroup2 directory
  std::map<std::string, std::string> v1;  // controller ("cpu", "cpuacct", "memory", "pids", "blkio") -> directory
};

struct ContainerStats {
  std::string read;  // RFC 3339 nano, when sampled
  std::string id, name;
  bool running = false;  // false: the zero sample Docker sends for a stopped container
  CpuStats cpu;
  MemoryStats memory;
  uint64_t pids = 0;
  std::optional<uint64_t> pids_limit;
  std::vector<BlkioEntry> io_service_bytes, io_serviced;
  uint64_t oom_kills = 0;  // memory.events oom_kill (v2), memory.oom_control oom_kill (v1)
  bool has_networks = false;  // false: the task gave no network counters (Docker then omits "networks")
  std::vector<NetworkStats> networks;
};

}  // namespace berth::model
