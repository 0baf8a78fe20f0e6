// HostConfig -> HostSettings with the checks Docker makes at create; the
// messages are Docker's where clients and scripts may know them.
#include "specgen/host_settings.h"

#include <algorithm>
#include <regex>

#include "base/strings.h"
#include "specgen/caps.h"

namespace berth::specgen::detail {
namespace {

using nlohmann::json;

constexpr int64_t kMinMemory = 6 * 1024 * 1024;

std::unexpected<Error> invalid(std::string message) {
  return fail(Errc::InvalidArgument, std::move(message));
}

Result<void> parse_security_opts(const std::vector<std::string>& opts, HostSettings& s) {
  for (const auto& opt : opts) {
    // "key=value", the legacy "key:value", or the bare "no-new-privileges".
    std::string key = opt, value;
    if (auto eq = opt.find('='); eq != std::string::npos) {
      key = opt.substr(0, eq);
      value = opt.substr(eq + 1);
    } else if (opt != "no-new-privileges") {
      auto colon = opt.find(':');
      if (colon == std::string::npos) return invalid("Invalid --security-opt: \"" + opt + "\"");
      key = opt.substr(0, colon);
      value = opt.substr(colon + 1);
    }
    if (key == "no-new-privileges") {
      if (value.empty() && opt == "no-new-privileges") {
        s.no_new_privileges = true;
      } else if (value == "true" || value == "1" || value == "t" || value == "T" || value == "TRUE" ||
                 value == "True") {
        s.no_new_privileges = true;
      } else if (value == "false" || value == "0" || value == "f" || value == "F" ||
                 value == "FALSE" || value == "False") {
        s.no_new_privileges = false;
      } else {
        return invalid("invalid --security-opt 2: \"" + opt + "\"");
      }
    } else if (key == "seccomp") {
      if (value == "unconfined") {
        s.seccomp = SeccompMode::Unconfined;
      } else if (value.empty() || value == "builtin") {
        s.seccomp = SeccompMode::Default;
      } else {
        // docker-cli sends the profile file's content.
        json profile = json::parse(value, nullptr, false);
        if (profile.is_discarded() || !profile.is_object())
          return invalid("Decoding seccomp profile failed: the profile is not a JSON object");
        s.seccomp = SeccompMode::Custom;
        s.seccomp_profile = std::move(profile);
      }
    } else if (key == "apparmor" || key == "label") {
      // No AppArmor or SELinux on berth's hosts: "unconfined"/"disable" ask for nothing;
      // anything else would silently weaken what the user asked for.
      if (!(key == "apparmor" && value == "unconfined") && !(key == "label" && value == "disable"))
        return invalid("--security-opt " + opt + ": " + key +
                       " is not supported by this daemon (only " +
                       (key == "apparmor" ? "apparmor=unconfined" : "label=disable") + ")");
    } else {
      return invalid("invalid --security-opt 2: \"" + opt + "\"");
    }
  }
  return {};
}

Result<std::vector<Ulimit>> parse_ulimits(const std::vector<model::Ulimit>& in) {
  static const char* const kNames[] = {"as",     "core",   "cpu",      "data",  "fsize",
                                       "locks",  "memlock", "msgqueue", "nice",  "nofile",
                                       "nproc",  "rss",    "rtprio",   "rttime", "sigpending",
                                       "stack"};
  std::vector<Ulimit> out;
  for (const auto& u : in) {
    if (std::find_if(std::begin(kNames), std::end(kNames),
                     [&](const char* n) { return u.name == n; }) == std::end(kNames))
      return invalid("invalid ulimit type: " + u.name);
    if (u.soft > u.hard && u.hard != -1)
      return invalid("ulimit soft limit must be less than or equal to hard limit: " +
                     std::to_string(u.soft) + " > " + std::to_string(u.hard));
    std::string type = "RLIMIT_";
    for (char c : u.name) type += static_cast<char>(c - 'a' + 'A');
    out.push_back(Ulimit{type, u.soft, u.hard});
  }
  return out;
}

// "0-3,5" style lists: what the kernel's cpuset files accept.
bool valid_cpu_list(const std::string& list) {
  for (const auto& part : split(list, ',')) {
    auto range = split(part, '-');
    if (range.size() > 2) return false;
    for (const auto& n : range)
      if (!parse_uint(n)) return false;
    if (range.size() == 2 && *parse_uint(range[0]) > *parse_uint(range[1])) return false;
  }
  return true;
}

Result<Resources> parse_resources(const model::Resources& in, const HostInfo& host) {
  Resources r;
  r.memory = in.memory;
  r.memory_swap = in.memory_swap;
  r.memory_reservation = in.memory_reservation;
  auto swappiness = in.memory_swappiness;
  r.oom_kill_disable = in.oom_kill_disable.value_or(false);
  r.nano_cpus = in.nano_cpus;
  r.cpu_quota = in.cpu_quota;
  r.cpu_period = in.cpu_period;
  r.cpu_shares = in.cpu_shares;
  r.cpuset_cpus = in.cpuset_cpus;
  r.cpuset_mems = in.cpuset_mems;
  r.pids_limit = in.pids_limit.value_or(0);
  r.blkio_weight = in.blkio_weight;
  r.hugepage_limits = in.hugepage_limits;
  r.unified = in.unified;
  for (const auto& [size, limit] : r.hugepage_limits) {
    static const std::regex page_size("[1-9][0-9]*(KB|MB|GB)");
    if (!std::regex_match(size, page_size))
      return invalid("hugepage limit: page size \"" + size + "\" is not a size like 2MB or 1GB");
    if (limit < 0) return invalid("hugepage limit for " + size + ": must not be negative");
  }
  for (const auto& [file, value] : r.unified) {
    // A cgroup v2 interface file of the container's own cgroup: "controller.name", no path.
    if (file.find('/') != std::string::npos || file.find('.') == std::string::npos || file.front() == '.')
      return invalid("unified: \"" + file + "\" is not a cgroup v2 file name (controller.name)");
  }

  if (r.memory < 0) return invalid("HostConfig.Memory: must not be negative");
  if (r.memory > 0 && r.memory < kMinMemory) return invalid("Minimum memory limit allowed is 6MB");
  if (r.memory_swap > 0 && r.memory == 0)
    return invalid("You should always set the Memory limit when using Memoryswap limit, see usage");
  if (r.memory_swap < -1) return invalid("HostConfig.MemorySwap: must be -1 (unlimited) or a size");
  if (r.memory > 0 && r.memory_swap > 0 && r.memory_swap < r.memory)
    return invalid("Minimum memoryswap limit should be larger than memory limit, see usage");
  if (swappiness && *swappiness != -1) {
    if (*swappiness < 0 || *swappiness > 100)
      return invalid("Invalid value: " + std::to_string(*swappiness) +
                     ", valid memory swappiness range is 0-100");
    r.memory_swappiness = *swappiness;
  }
  if (r.memory_reservation < 0) return invalid("HostConfig.MemoryReservation: must not be negative");
  if (r.memory_reservation > 0 && r.memory_reservation < kMinMemory)
    return invalid("Minimum memory reservation allowed is 6MB");
  if (r.memory > 0 && r.memory_reservation > 0 && r.memory < r.memory_reservation)
    return invalid("Minimum memory limit can not be less than memory reservation limit, see usage");

  if (r.nano_cpus > 0 && r.cpu_period > 0)
    return invalid("Conflicting options: Nano CPUs and CPU Period cannot both be set");
  if (r.nano_cpus > 0 && r.cpu_quota > 0)
    return invalid("Conflicting options: Nano CPUs and CPU Quota cannot both be set");
  if (r.nano_cpus < 0 || r.nano_cpus > int64_t{host.ncpus} * 1000000000) {
    std::string n = std::to_string(host.ncpus);
    return invalid("Range of CPUs is from 0.01 to " + n + ".00, as there are only " + n +
                   " CPUs available");
  }
  if (r.cpu_period != 0 && (r.cpu_period < 1000 || r.cpu_period > 1000000))
    return invalid("CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)");
  if (r.cpu_quota != 0 && r.cpu_quota != -1 && r.cpu_quota < 1000)
    return invalid("CPU cfs quota can not be less than 1ms (i.e. 1000)");
  if (r.cpu_shares < 0) return invalid("HostConfig.CpuShares: must not be negative");
  // Docker clamps shares to the kernel's range rather than refusing.
  if (r.cpu_shares > 0) r.cpu_shares = std::clamp<int64_t>(r.cpu_shares, 2, 262144);
  if (!r.cpuset_cpus.empty() && !valid_cpu_list(r.cpuset_cpus))
    return invalid("Invalid value " + r.cpuset_cpus + " for cpuset cpus");
  if (!r.cpuset_mems.empty() && !valid_cpu_list(r.cpuset_mems))
    return invalid("Invalid value " + r.cpuset_mems + " for cpuset mems");
  if (r.blkio_weight > 0 && (r.blkio_weight < 10 || r.blkio_weight > 1000))
    return invalid("Range of blkio weight is from 10 to 1000");
  if (r.blkio_weight < 0) return invalid("Range of blkio weight is from 10 to 1000");
  return r;
}

// Which namespace a sysctl belongs to; "" when it is not namespaced.
std::string sysctl_namespace(const std::string& key) {
  static const char* const kIpc[] = {"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni",
                                     "kernel.sem",    "kernel.shmall", "kernel.shmmax",
                                     "kernel.shmmni", "kernel.shm_rmid_forced"};
  for (const char* k : kIpc)
    if (key == k) return "ipc";
  if (key.rfind("fs.mqueue.", 0) == 0) return "ipc";
  if (key.rfind("net.", 0) == 0) return "network";
  if (key == "kernel.hostname" || key == "kernel.domainname") return "uts";
  return "";
}

}  // namespace

Result<std::vector<std::string>> tmpfs_options(const std::string& text, const std::string& dest) {
  static const std::pair<const char*, const char*> kOpposites[] = {
      {"exec", "noexec"}, {"suid", "nosuid"},   {"dev", "nodev"},       {"rw", "ro"},
      {"atime", "noatime"}, {"diratime", "nodiratime"}, {"relatime", "norelatime"},
      {"strictatime", "nostrictatime"}, {"sync", "async"}, {"mand", "nomand"}};
  std::vector<std::string> opts = {"noexec", "nosuid", "nodev"};
  for (const auto& raw : split(text, ',', true)) {
    std::string opt(trim(raw));
    if (opt.empty()) continue;
    if (auto eq = opt.find('='); eq != std::string::npos) {
      std::string key = opt.substr(0, eq + 1);
      if (key != "size=" && key != "mode=" && key != "uid=" && key != "gid=" && key != "nr_inodes=" &&
          key != "nr_blocks=" && key != "mpol=" && key != "huge=")
        return invalid("invalid tmpfs option \"" + opt + "\" for " + dest);
      std::erase_if(opts, [&](const std::string& o) { return o.rfind(key, 0) == 0; });
      opts.push_back(opt);
      continue;
    }
    bool known = false;
    for (const auto& [a, b] : kOpposites) {
      if (opt == a || opt == b) {
        known = true;
        std::erase_if(opts, [&](const std::string& o) { return o == a || o == b; });
      }
    }
    if (!known && opt != "tmpcopyup" && opt != "nosymfollow")
      return invalid("invalid tmpfs option \"" + opt + "\" for " + dest);
    if (opt == "tmpcopyup") continue;  // a runc extension berth-runtime does not have
    opts.push_back(opt);
  }
  return opts;
}

std::string env_key(const std::string& entry) { return entry.substr(0, entry.find('=')); }

Result<HostSettings> settings_of(const model::HostConfig& hc, const HostInfo& host) {
  HostSettings s;
  s.privileged = hc.privileged;
  s.readonly_rootfs = hc.readonly_rootfs;
  s.init = hc.init.value_or(false);
  s.cap_add = hc.cap_add;
  s.cap_drop = hc.cap_drop;
  s.group_add = hc.group_add;
  TRY(container_capabilities(s.cap_add, s.cap_drop, s.privileged, host.cap_bounding));
  TRYV(parse_security_opts(hc.security_opt, s));

  s.ipc_mode = hc.ipc_mode.str();
  s.pid_mode = hc.pid_mode.str();
  s.uts_mode = hc.uts_mode.str();
  s.cgroupns_mode = std::string(model::to_string(hc.cgroupns_mode));
  s.network_mode = hc.network_mode.str();

  s.tmpfs = hc.tmpfs;
  for (const auto& [dest, opts] : s.tmpfs) {
    if (dest.empty() || dest[0] != '/') return invalid("invalid mount path for tmpfs: " + dest + " (must be absolute)");
    TRY(tmpfs_options(opts, dest));
  }
  s.ulimits = TRY(parse_ulimits(hc.resources.ulimits));

  s.sysctls = hc.sysctls;
  bool host_net = hc.network_mode.kind == model::NetworkMode::Kind::Host;
  for (const auto& [key, value] : s.sysctls) {
    std::string ns = sysctl_namespace(key);
    if (ns.empty()) return invalid("sysctl \"" + key + "\" is not allowed: it is not namespaced");
    if (ns == "network" && host_net)
      return invalid("sysctl \"" + key + "\" is not allowed in host network namespace");
    if (ns == "ipc" && hc.ipc_mode.is_host())
      return invalid("sysctl \"" + key + "\" is not allowed in host IPC namespace");
    if (ns == "uts")
      return invalid("sysctl \"" + key + "\" is not allowed: use Hostname/Domainname instead");
  }

  s.oom_score_adj = hc.oom_score_adj;
  if (s.oom_score_adj < -1000 || s.oom_score_adj > 1000)
    return invalid("Invalid value " + std::to_string(s.oom_score_adj) +
                   ", range for oom score adj is [-1000, 1000]");
  s.shm_size = hc.shm_size;
  if (s.shm_size < 0) return invalid("SHM size can not be less than 0");
  s.cgroup_parent = hc.resources.cgroup_parent;
  s.masked_paths = hc.masked_paths;
  s.readonly_paths = hc.readonly_paths;
  s.resources = TRY(parse_resources(hc.resources, host));
  return s;
}

}  // namespace berth::specgen::detail
