// SpecInput -> config.json: the process, namespaces, cgroup, resources and
// security settings Docker gives a container (moby's oci/defaults.go and
// daemon/oci_linux.go), assembled from the parts in this folder.
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "specgen/caps.h"
#include "specgen/devices.h"
#include "specgen/host_settings.h"
#include "specgen/mounts.h"
#include "specgen/specgen.h"

namespace berth::specgen {
namespace {

using nlohmann::json;
using detail::HostSettings;

constexpr const char kOciVersion[] = "1.0.2";
constexpr uint64_t kCfsPeriod = 100000;

const char* const kMaskedPaths[] = {
    "/proc/asound",     "/proc/acpi",      "/proc/kcore",        "/proc/keys",
    "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
    "/proc/scsi",       "/sys/firmware",   "/sys/devices/virtual/powercap"};
const char* const kReadonlyPaths[] = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                                      "/proc/sysrq-trigger"};

json device_rule(bool allow, const char* type, std::optional<int64_t> major,
                 std::optional<int64_t> minor, const char* access) {
  json r = {{"allow", allow}, {"type", type}, {"access", access}};
  if (major) r["major"] = *major;
  if (minor) r["minor"] = *minor;
  return r;
}

// Deny everything, then what a default container needs: mknod of any node, and
// null zero full random urandom tty console ptmx and the pty slaves.
json default_device_rules() {
  json rules = json::array();
  rules.push_back(json{{"allow", false}, {"access", "rwm"}});
  rules.push_back(device_rule(true, "c", std::nullopt, std::nullopt, "m"));
  rules.push_back(device_rule(true, "b", std::nullopt, std::nullopt, "m"));
  const std::pair<int64_t, int64_t> kAllowed[] = {{1, 3}, {1, 5}, {1, 7}, {1, 8}, {1, 9},
                                                  {5, 0}, {5, 1}, {5, 2}};
  for (const auto& [ma, mi] : kAllowed) rules.push_back(device_rule(true, "c", ma, mi, "rwm"));
  rules.push_back(device_rule(true, "c", 136, std::nullopt, "rwm"));  // /dev/pts/*
  return rules;
}

json resources_json(const HostSettings& hs, const HostInfo& host) {
  const auto& r = hs.resources;
  json res = json::object();
  res["devices"] = hs.privileged ? json::array({device_rule(true, "a", std::nullopt, std::nullopt, "rwm")})
                                 : default_device_rules();
  json mem = json::object();
  if (r.memory > 0) mem["limit"] = r.memory;
  if (r.memory_reservation > 0) mem["reservation"] = r.memory_reservation;
  if (host.swap_accounting) {
    if (r.memory_swap == -1) mem["swap"] = -1;
    else if (r.memory_swap > 0) mem["swap"] = r.memory_swap;
    else if (r.memory > 0) mem["swap"] = r.memory * 2;  // Docker's default: as much swap as memory
  }
  if (r.memory_swappiness) mem["swappiness"] = *r.memory_swappiness;
  if (r.oom_kill_disable) mem["disableOOMKiller"] = true;
  if (!mem.empty()) res["memory"] = mem;

  json cpu = json::object();
  if (r.nano_cpus > 0) {
    cpu["period"] = kCfsPeriod;
    cpu["quota"] = r.nano_cpus * static_cast<int64_t>(kCfsPeriod) / 1000000000;
  } else {
    if (r.cpu_period > 0) cpu["period"] = r.cpu_period;
    if (r.cpu_quota != 0) cpu["quota"] = r.cpu_quota;
  }
  if (r.cpu_shares > 0) cpu["shares"] = r.cpu_shares;
  if (!r.cpuset_cpus.empty()) cpu["cpus"] = r.cpuset_cpus;
  if (!r.cpuset_mems.empty()) cpu["mems"] = r.cpuset_mems;
  if (!cpu.empty()) res["cpu"] = cpu;

  if (r.pids_limit > 0) res["pids"] = json{{"limit", r.pids_limit}};
  if (r.blkio_weight > 0) res["blockIO"] = json{{"weight", r.blkio_weight}};
  if (!r.hugepage_limits.empty()) {
    json limits = json::array();
    for (const auto& [size, limit] : r.hugepage_limits) limits.push_back(json{{"pageSize", size}, {"limit", limit}});
    res["hugepageLimits"] = limits;
  }
  if (!r.unified.empty()) res["unified"] = r.unified;
  return res;
}

// One namespace entry: absent (shared with the host), new, or joined by path.
Result<void> add_namespace(json& list, const SpecInput& in, const char* type, const std::string& mode,
                           bool host) {
  if (auto it = in.join_namespaces.find(type); it != in.join_namespaces.end()) {
    list.push_back(json{{"type", type}, {"path", it->second}});
    return {};
  }
  // "ns:/path": a namespace file another front end holds (the CRI's pods).
  if (mode.rfind("ns:", 0) == 0) {
    list.push_back(json{{"type", type}, {"path", mode.substr(3)}});
    return {};
  }
  if (mode.rfind("container:", 0) == 0)
    return fail(Errc::InvalidArgument, std::string(type) + " mode " + mode +
                                           ": the engine must give the namespace path to join");
  if (!host) list.push_back(json{{"type", type}});
  return {};
}

Result<json> namespaces_json(const SpecInput& in, const HostSettings& hs) {
  json ns = json::array();
  TRYV(add_namespace(ns, in, "pid", hs.pid_mode, hs.pid_mode == "host"));
  TRYV(add_namespace(ns, in, "ipc", hs.ipc_mode, hs.ipc_mode == "host"));
  TRYV(add_namespace(ns, in, "uts", hs.uts_mode, hs.uts_mode == "host"));
  ns.push_back(json{{"type", "mount"}});
  if (auto it = in.join_namespaces.find("network"); it != in.join_namespaces.end()) {
    ns.push_back(json{{"type", "network"}, {"path", it->second}});
  } else if (in.netns_mode == "host") {
    // the host's network namespace
  } else if (in.netns_mode.empty() || in.netns_mode == "none") {
    ns.push_back(json{{"type", "network"}});
  } else if (in.netns_mode[0] == '/') {
    ns.push_back(json{{"type", "network"}, {"path", in.netns_mode}});
  } else {
    return fail(Errc::InvalidArgument, "netns mode \"" + in.netns_mode + "\": want none, host or a path");
  }
  // Docker's default: a private cgroup namespace on cgroup v2, the host's on v1.
  bool private_cgroupns = hs.cgroupns_mode.empty() ? in.host.cgroup2 : hs.cgroupns_mode == "private";
  TRYV(add_namespace(ns, in, "cgroup", "", !private_cgroupns));
  if (!in.uid_mappings.empty()) ns.insert(ns.begin(), json{{"type", "user"}});
  return ns;
}

std::string cgroups_path(const SpecInput& in, const HostSettings& hs) {
  std::string parent = hs.cgroup_parent.empty() ? in.cgroup_parent : hs.cgroup_parent;
  while (!parent.empty() && parent.back() == '/') parent.pop_back();
  if (in.host.cgroups_under_daemon) {  // rootless with delegation: below the daemon's own cgroup
    while (!parent.empty() && parent.front() == '/') parent.erase(parent.begin());
    return parent.empty() ? in.id : parent + "/" + in.id;
  }
  if (parent.empty()) return "/" + in.id;
  if (parent[0] != '/') parent.insert(parent.begin(), '/');
  return parent + "/" + in.id;
}

}  // namespace

Result<json> build_spec(const SpecInput& in) {
  if (in.id.size() < 12) return fail(Errc::InvalidArgument, "container id \"" + in.id + "\" is too short");
  if (in.rootfs.empty() || in.rootfs[0] != '/')
    return fail(Errc::InvalidArgument, "rootfs \"" + in.rootfs + "\" is not an absolute path");
  const model::ContainerConfig& cfg = in.config;
  HostSettings hs = TRY(detail::settings_of(in.host_config, in.host));

  // Command: entrypoint + cmd, behind the init when asked for.
  std::vector<std::string> args = cfg.entrypoint.value_or(std::vector<std::string>{});
  if (args.size() == 1 && args[0].empty()) args.clear();
  if (cfg.cmd) args.insert(args.end(), cfg.cmd->begin(), cfg.cmd->end());
  if (args.empty()) return fail(Errc::InvalidArgument, "No command specified");
  if (hs.init) args.insert(args.begin(), {"/sbin/docker-init", "--"});

  // Hostname: Config.Hostname, the host's with host networking, else the short id.
  std::string hostname = cfg.hostname;
  const std::string& domainname = cfg.domainname;
  if (hs.uts_mode == "host" && !hostname.empty())
    return fail(Errc::InvalidArgument, "Conflicting options: hostname and the UTS mode");
  if (hostname.empty()) hostname = in.netns_mode == "host" ? in.host.hostname : in.id.substr(0, 12);
  // A UTS namespace joined by path has its hostname already (set by its holder).
  bool uts_joined = hs.uts_mode.rfind("ns:", 0) == 0 || in.join_namespaces.count("uts") > 0;

  ResolvedUser user = TRY(resolve_user(in.rootfs, cfg.user, hs.group_add));
  std::vector<std::string> env = process_env(cfg, hostname);
  bool has_home = false;
  for (const auto& e : env) has_home |= detail::env_key(e) == "HOME";
  if (!has_home) env.push_back("HOME=" + user.home);  // what runc adds from passwd

  std::string cwd = cfg.working_dir;
  if (cwd.empty()) cwd.push_back('/');
  if (cwd[0] != '/')
    return fail(Errc::InvalidArgument,
                "the working directory '" + cwd + "' is invalid, it needs to be an absolute path");

  auto caps = TRY(detail::container_capabilities(hs.cap_add, hs.cap_drop, hs.privileged,
                                                 in.host.cap_bounding));

  json process = json::object();
  process["terminal"] = cfg.tty;
  if (const auto& size = in.host_config.console_size)  // {height, width}
    process["consoleSize"] = json{{"height", (*size)[0]}, {"width", (*size)[1]}};
  json juser = {{"uid", user.uid}, {"gid", user.gid}};
  if (!user.additional_gids.empty()) juser["additionalGids"] = user.additional_gids;
  process["user"] = juser;
  process["args"] = args;
  process["env"] = env;
  process["cwd"] = cwd;
  process["capabilities"] = json{{"bounding", caps}, {"effective", caps}, {"permitted", caps}};
  json rlimits = json::array();
  for (const auto& u : hs.ulimits) {
    // -1 is "unlimited" (RLIM_INFINITY).
    auto value = [](int64_t v) { return v < 0 ? UINT64_MAX : static_cast<uint64_t>(v); };
    rlimits.push_back(json{{"type", u.type}, {"soft", value(u.soft)}, {"hard", value(u.hard)}});
  }
  if (!rlimits.empty()) process["rlimits"] = rlimits;
  process["noNewPrivileges"] = hs.no_new_privileges;
  process["oomScoreAdj"] = hs.oom_score_adj;

  json linux = json::object();
  linux["namespaces"] = TRY(namespaces_json(in, hs));
  if (!in.uid_mappings.empty()) {
    if (in.gid_mappings.empty()) return fail(Errc::InvalidArgument, "uid mappings without gid mappings");
    auto list = [](const std::vector<IdMapping>& m) {
      json out = json::array();
      for (const auto& e : m) out.push_back(json{{"containerID", e.container_id}, {"hostID", e.host_id}, {"size", e.size}});
      return out;
    };
    linux["uidMappings"] = list(in.uid_mappings);
    linux["gidMappings"] = list(in.gid_mappings);
  }
  linux["cgroupsPath"] = cgroups_path(in, hs);
  linux["resources"] = resources_json(hs, in.host);
  auto mapped = TRY(detail::mapped_devices(in.host_config.devices));
  auto extra_rules = TRY(detail::device_cgroup_rules(in.host_config.device_cgroup_rules));
  if (!hs.sysctls.empty()) linux["sysctl"] = hs.sysctls;
  if (hs.privileged) {
    json devices = json::array();
    for (const auto& d : in.host.devices)
      devices.push_back(json{{"path", d.path}, {"type", std::string(1, d.type)}, {"major", d.major},
                             {"minor", d.minor}, {"fileMode", d.mode}, {"uid", d.uid}, {"gid", d.gid}});
    if (!devices.empty()) linux["devices"] = devices;
  } else {
    json devices = json::array();
    for (auto& m : mapped) {
      devices.push_back(std::move(m.node));
      linux["resources"]["devices"].push_back(std::move(m.rule));
    }
    for (auto& r : extra_rules) linux["resources"]["devices"].push_back(std::move(r));
    if (!devices.empty()) linux["devices"] = devices;
    linux["maskedPaths"] = hs.masked_paths ? json(*hs.masked_paths) : json(kMaskedPaths);
    linux["readonlyPaths"] = hs.readonly_paths ? json(*hs.readonly_paths) : json(kReadonlyPaths);
  }
  if (!hs.privileged && hs.seccomp != detail::SeccompMode::Unconfined) {
    const json& profile = hs.seccomp == detail::SeccompMode::Custom ? hs.seccomp_profile
                                                                   : default_seccomp_profile();
    json seccomp = TRY(seccomp_profile_to_oci(profile, caps, in.host.kernel));
    if (!seccomp.is_null()) linux["seccomp"] = std::move(seccomp);
  }

  json spec = json::object();
  spec["ociVersion"] = kOciVersion;
  spec["process"] = std::move(process);
  spec["root"] = json{{"path", in.rootfs}, {"readonly", hs.readonly_rootfs}};
  if (hs.uts_mode != "host" && !uts_joined) spec["hostname"] = hostname;
  if (!domainname.empty() && hs.uts_mode != "host" && !uts_joined) spec["domainname"] = domainname;
  spec["mounts"] = TRY(detail::container_mounts(in, hs));
  spec["linux"] = std::move(linux);
  return spec;
}

namespace {
// The first resource limit a spec sets, by its docker run flag; empty for none.
std::string first_limit(const model::Resources& r) {
  if (r.memory) return "--memory";
  if (r.memory_swap) return "--memory-swap";
  if (r.memory_reservation) return "--memory-reservation";
  if (r.memory_swappiness && *r.memory_swappiness >= 0) return "--memory-swappiness";  // -1: the default
  if (r.oom_kill_disable && *r.oom_kill_disable) return "--oom-kill-disable";
  if (r.nano_cpus) return "--cpus";
  if (r.cpu_shares) return "--cpu-shares";
  if (r.cpu_period) return "--cpu-period";
  if (r.cpu_quota) return "--cpu-quota";
  if (!r.cpuset_cpus.empty()) return "--cpuset-cpus";
  if (!r.cpuset_mems.empty()) return "--cpuset-mems";
  if (r.pids_limit && *r.pids_limit > 0) return "--pids-limit";
  if (r.blkio_weight) return "--blkio-weight";
  if (!r.hugepage_limits.empty()) return "hugepage limits";
  if (!r.unified.empty()) return "cgroup v2 unified settings";
  return {};
}
}  // namespace

Result<void> validate(const model::ContainerSpec& spec, const HostInfo& host) {
  if (!host.limits_unavailable.empty())
    if (auto flag = first_limit(spec.host.resources); !flag.empty())
      return fail(Errc::InvalidArgument, flag + " cannot be applied: " + host.limits_unavailable);
  HostSettings hs = TRY(detail::settings_of(spec.host, host));
  if (hs.seccomp == detail::SeccompMode::Custom && !hs.privileged) {
    auto caps = TRY(detail::container_capabilities(hs.cap_add, hs.cap_drop, hs.privileged, host.cap_bounding));
    TRY(seccomp_profile_to_oci(hs.seccomp_profile, caps, host.kernel));
  }
  TRY(detail::mapped_devices(spec.host.devices));
  TRY(detail::device_cgroup_rules(spec.host.device_cgroup_rules));
  // What dockerd refuses with userns-remap unless the container opts out (--userns=host).
  if (host.userns_remap && !spec.host.userns_host && spec.ns.empty()) {
    if (spec.host.privileged)
      return fail(Errc::InvalidArgument,
                  "privileged mode is incompatible with user namespaces.  You must run the container in the host "
                  "namespace when running privileged mode");
    if (spec.host.network_mode.kind == model::NetworkMode::Kind::Host)
      return fail(Errc::InvalidArgument, "cannot share the host's network namespace when user namespaces are enabled");
    if (spec.host.pid_mode.is_host())
      return fail(Errc::InvalidArgument, "cannot share the host PID namespace when user namespaces are enabled");
  }
  // Docker's restart policy rules.
  const auto& rp = spec.host.restart_policy;
  // berth's on-unhealthy takes a retry count as on-failure does.
  bool counted = rp.name == model::RestartPolicyName::OnFailure || rp.name == model::RestartPolicyName::OnUnhealthy;
  if (counted && rp.max_retries < 0) return fail(Errc::InvalidArgument, "maximum retry count cannot be negative");
  if (!counted && rp.max_retries != 0)
    return fail(Errc::InvalidArgument, "maximum retry count cannot be used with restart policy '" +
                                           std::string(model::to_string(rp.name)) + "'");
  if (rp.name != model::RestartPolicyName::No && spec.host.auto_remove)
    return fail(Errc::InvalidArgument, "can't create 'AutoRemove' container with restart policy");
  if (!spec.config.hostname.empty() && spec.host.uts_mode.is_host())
    return fail(Errc::InvalidArgument, "Conflicting options: hostname and the UTS mode");
  if (spec.config.stop_timeout && *spec.config.stop_timeout < -1)
    return fail(Errc::InvalidArgument, "invalid stop timeout: " + std::to_string(*spec.config.stop_timeout));
  if (!spec.config.stop_signal.empty()) TRY(parse_stop_signal(spec.config.stop_signal));
  return {};
}

}  // namespace berth::specgen
