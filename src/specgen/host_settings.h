// A container's HostConfig as the spec builder uses it, checked once with
// Docker's create-time rules, so validate() and build_spec() apply the same.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "model/container_spec.h"
#include "specgen/specgen.h"

namespace berth::specgen::detail {

struct Ulimit {
  std::string type;  // RLIMIT_NOFILE
  int64_t soft = 0, hard = 0;
};

struct Resources {
  int64_t memory = 0, memory_swap = 0, memory_reservation = 0;
  std::optional<int64_t> memory_swappiness;  // 0-100; unset (-1) -> nullopt
  bool oom_kill_disable = false;
  int64_t nano_cpus = 0, cpu_quota = 0, cpu_period = 0, cpu_shares = 0;
  std::string cpuset_cpus, cpuset_mems;
  int64_t pids_limit = 0;  // <= 0: unlimited
  int64_t blkio_weight = 0;
  std::map<std::string, int64_t> hugepage_limits;  // page size ("2MB") -> bytes
  std::map<std::string, std::string> unified;      // cgroup v2 file -> value
};

enum class SeccompMode { Default, Unconfined, Custom };

struct HostSettings {
  bool privileged = false, readonly_rootfs = false, init = false;
  std::vector<std::string> cap_add, cap_drop, group_add;
  SeccompMode seccomp = SeccompMode::Default;
  nlohmann::json seccomp_profile;  // Custom: the parsed profile (Docker format)
  bool no_new_privileges = false;
  std::string ipc_mode, pid_mode, uts_mode, cgroupns_mode, network_mode;
  std::map<std::string, std::string> tmpfs;  // destination -> options text
  std::vector<Ulimit> ulimits;
  std::map<std::string, std::string> sysctls;
  int64_t oom_score_adj = 0;
  int64_t shm_size = 0;  // bytes; 0 -> 64 MiB
  std::string cgroup_parent;
  std::optional<std::vector<std::string>> masked_paths, readonly_paths;  // set: replace defaults
  Resources resources;
};

Result<HostSettings> settings_of(const model::HostConfig& host_config, const HostInfo& host);

// "KEY" of "KEY=value" (the whole string when there is no '=').
std::string env_key(const std::string& entry);

// "rw,size=64m,exec" merged over Docker's tmpfs defaults (nosuid, nodev, noexec): a later
// flag replaces its opposite, a later key=value its key.
Result<std::vector<std::string>> tmpfs_options(const std::string& text, const std::string& dest);

}  // namespace berth::specgen::detail
