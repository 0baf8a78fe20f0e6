// HostConfig from a compose Service, field by field as Compose v2 sets it.
#include <cmath>

#include <fmt/format.h>

#include "compose_ops/create_request.h"
#include "compose_ops/naming.h"

namespace berth::compose_ops {

namespace {

std::string cap_name(const std::string& cap) {
  std::string up;
  for (char ch : cap) up += static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  if (up == "ALL" || up.starts_with("CAP_")) return up;
  return "CAP_" + up;
}

Json caps(const std::vector<std::string>& list) {
  Json out = Json::array();
  for (const auto& c : list) out.push_back(cap_name(c));
  return out;
}

// restart:, else deploy.restart_policy (any -> always, none -> no).
Json restart_policy(const compose::Service& s) {
  std::string name = s.restart;
  int64_t max = 0;
  if (name.empty() && s.deploy && s.deploy->restart_policy) {
    const auto& rp = *s.deploy->restart_policy;
    name = rp.condition == "any" ? "always" : rp.condition == "none" ? "no" : rp.condition;
    if (rp.max_attempts) max = static_cast<int64_t>(*rp.max_attempts);
  }
  if (auto colon = name.find(':'); colon != std::string::npos) {
    max = std::atoll(name.c_str() + colon + 1);
    name.resize(colon);
  }
  if (name.empty()) name = "no";
  return Json{{"Name", name}, {"MaximumRetryCount", max}};
}

// The container a `service:NAME` refers to: its first container (Compose v2 does the same lookup by label).
std::string service_container(const compose::Project& project, const std::string& service) {
  if (auto it = project.services.find(service); it != project.services.end())
    return container_name(project, it->second, 1);
  return project.name + "-" + service + "-1";
}

std::string namespace_mode(const compose::Project& project, const std::string& mode) {
  if (mode.starts_with("service:")) return "container:" + service_container(project, mode.substr(8));
  return mode;
}

Result<void> add_volume(const compose::Project& project, const compose::Service& service,
                        const compose::VolumeMount& v, Json& binds, Json& mounts, Json& tmpfs) {
  if (v.type == "bind") {
    // Binds (not Mounts) for a bind that may create its source, as Compose v2 does:
    // a Mount fails when the host path is missing.
    if (v.bind && v.bind->create_host_path.value_or(false)) {
      std::vector<std::string> opts;
      if (v.read_only) opts.push_back("ro");
      if (!v.bind->selinux.empty()) opts.push_back(v.bind->selinux);
      if (!v.bind->propagation.empty()) opts.push_back(v.bind->propagation);
      std::string spec = v.source + ":" + v.target;
      if (!opts.empty()) {
        spec += ":";
        for (size_t i = 0; i < opts.size(); ++i) spec += (i ? "," : "") + opts[i];
      }
      binds.push_back(spec);
      return {};
    }
    Json m{{"Type", "bind"}, {"Source", v.source}, {"Target", v.target}, {"ReadOnly", v.read_only}};
    if (v.bind && !v.bind->propagation.empty()) m["BindOptions"]["Propagation"] = v.bind->propagation;
    mounts.push_back(m);
    return {};
  }
  if (v.type == "volume") {
    Json m{{"Type", "volume"}, {"Target", v.target}, {"ReadOnly", v.read_only}};
    if (!v.source.empty()) {
      auto it = project.volumes.find(v.source);
      if (it == project.volumes.end())
        return fail(Errc::InvalidArgument,
                    fmt::format("service \"{}\" refers to undefined volume {}: invalid compose project", service.name, v.source));
      m["Source"] = it->second.name;
    }
    if (v.volume && (v.volume->nocopy || !v.volume->subpath.empty())) {
      m["VolumeOptions"]["NoCopy"] = v.volume->nocopy;
      if (!v.volume->subpath.empty()) m["VolumeOptions"]["Subpath"] = v.volume->subpath;
    }
    mounts.push_back(m);
    return {};
  }
  if (v.type == "tmpfs") {
    std::vector<std::string> opts;
    if (v.tmpfs && v.tmpfs->size) opts.push_back(fmt::format("size={}", *v.tmpfs->size));
    if (v.tmpfs && v.tmpfs->mode) opts.push_back(fmt::format("mode={:o}", *v.tmpfs->mode));
    std::string joined;
    for (size_t i = 0; i < opts.size(); ++i) joined += (i ? "," : "") + opts[i];
    tmpfs[v.target] = joined;
    return {};
  }
  return fail(Errc::Unsupported, fmt::format("service \"{}\": volume type {} is not supported by berth", service.name, v.type));
}

// File-based configs and secrets are bind-mounted read-only at their target
// (Compose v2 does the same for file sources); the others need a copy into
// the container, which berth does not do yet.
Result<void> add_file_objects(const compose::Service& service, const std::vector<compose::FileReference>& refs,
                              const std::map<std::string, compose::FileObjectConfig>& defs, const char* kind,
                              Json& mounts) {
  for (const auto& ref : refs) {
    auto it = defs.find(ref.source);
    if (it == defs.end())
      return fail(Errc::InvalidArgument, fmt::format("service \"{}\" refers to undefined {} {}: invalid compose project", service.name, kind, ref.source));
    const compose::FileObjectConfig& def = it->second;
    if (def.file.empty())
      return fail(Errc::Unsupported, fmt::format("service \"{}\": {} {} is not from a file, which berth does not support yet",
                                                 service.name, kind, ref.source));
    std::string target = ref.target;
    if (target.empty()) target = std::string(kind) == "secret" ? "/run/secrets/" + ref.source : "/" + ref.source;
    else if (std::string(kind) == "secret" && !target.starts_with("/")) target = "/run/secrets/" + target;
    mounts.push_back(Json{{"Type", "bind"}, {"Source", def.file}, {"Target", target}, {"ReadOnly", true}});
  }
  return {};
}

}  // namespace

Result<Json> build_host_config(const compose::Project& project, const compose::Service& s, const CreateOptions& o) {
  Json h = Json::object();
  Json binds = Json::array(), mounts = Json::array(), tmpfs = Json::object();
  for (const auto& v : s.volumes) TRYV(add_volume(project, s, v, binds, mounts, tmpfs));
  for (const auto& t : s.tmpfs) {
    auto colon = t.find(':');
    tmpfs[t.substr(0, colon)] = colon == std::string::npos ? "" : t.substr(colon + 1);
  }
  TRYV(add_file_objects(s, s.configs, project.configs, "config", mounts));
  TRYV(add_file_objects(s, s.secrets, project.secrets, "secret", mounts));
  if (!binds.empty()) h["Binds"] = binds;
  if (!mounts.empty()) h["Mounts"] = mounts;
  if (!tmpfs.empty()) h["Tmpfs"] = tmpfs;
  if (!s.volumes_from.empty()) {
    Json from = Json::array();
    for (const auto& v : s.volumes_from) {
      if (v.starts_with("container:")) from.push_back(v.substr(10));
      else {
        auto colon = v.find(':');
        std::string svc = v.substr(0, colon);
        from.push_back(service_container(project, svc) + (colon == std::string::npos ? "" : v.substr(colon)));
      }
    }
    h["VolumesFrom"] = from;
  }

  if (!o.no_ports && !s.ports.empty()) {
    Json bindings = Json::object();
    for (const auto& p : s.ports) {
      std::string key = fmt::format("{}/{}", p.target, p.protocol.empty() ? "tcp" : p.protocol);
      if (!bindings.contains(key)) bindings[key] = Json::array();
      bindings[key].push_back(Json{{"HostIp", p.host_ip}, {"HostPort", p.published}});
    }
    h["PortBindings"] = bindings;
  }
  if (!s.network_mode.empty()) h["NetworkMode"] = namespace_mode(project, s.network_mode);
  if (!s.ipc.empty()) h["IpcMode"] = namespace_mode(project, s.ipc);
  if (!s.pid.empty()) h["PidMode"] = namespace_mode(project, s.pid);
  if (!s.links.empty()) h["Links"] = s.links;
  h["RestartPolicy"] = restart_policy(s);
  if (o.auto_remove) h["AutoRemove"] = true;

  // deploy.resources.limits win over the legacy keys, as in compose-go.
  std::optional<int64_t> memory = s.mem_limit, pids = s.pids_limit;
  std::optional<double> cpus = s.cpus;
  if (s.deploy && s.deploy->limits) {
    if (s.deploy->limits->memory) memory = s.deploy->limits->memory;
    if (s.deploy->limits->cpus) cpus = s.deploy->limits->cpus;
    if (s.deploy->limits->pids) pids = s.deploy->limits->pids;
  }
  std::optional<int64_t> reservation = s.mem_reservation;
  if (s.deploy && s.deploy->reservations && s.deploy->reservations->memory) reservation = s.deploy->reservations->memory;
  if (memory) h["Memory"] = *memory;
  if (reservation) h["MemoryReservation"] = *reservation;
  if (s.memswap_limit) h["MemorySwap"] = *s.memswap_limit;
  if (cpus) h["NanoCpus"] = static_cast<int64_t>(std::llround(*cpus * 1e9));
  if (pids) h["PidsLimit"] = *pids;
  if (s.cpu_shares) h["CpuShares"] = *s.cpu_shares;
  if (s.cpu_quota) h["CpuQuota"] = *s.cpu_quota;
  if (s.cpu_period) h["CpuPeriod"] = *s.cpu_period;
  if (!s.cpuset.empty()) h["CpusetCpus"] = s.cpuset;
  if (s.mem_swappiness) h["MemorySwappiness"] = *s.mem_swappiness;
  if (s.oom_kill_disable) h["OomKillDisable"] = *s.oom_kill_disable;
  if (s.oom_score_adj) h["OomScoreAdj"] = *s.oom_score_adj;
  if (!s.cgroup_parent.empty()) h["CgroupParent"] = s.cgroup_parent;
  if (!s.runtime.empty()) h["Runtime"] = s.runtime;
  if (!s.userns_mode.empty()) h["UsernsMode"] = s.userns_mode;
  if (!s.uts.empty()) h["UTSMode"] = s.uts;

  if (s.init) h["Init"] = *s.init;
  if (!s.cap_add.empty()) h["CapAdd"] = caps(s.cap_add);
  if (!s.cap_drop.empty()) h["CapDrop"] = caps(s.cap_drop);
  h["Privileged"] = s.privileged;
  if (!s.security_opt.empty()) h["SecurityOpt"] = s.security_opt;
  h["ReadonlyRootfs"] = s.read_only;
  if (s.shm_size) h["ShmSize"] = *s.shm_size;
  if (!s.sysctls.empty()) h["Sysctls"] = s.sysctls;
  if (!s.ulimits.empty()) {
    Json ul = Json::array();
    for (const auto& [name, u] : s.ulimits) {
      int64_t soft = u.single ? *u.single : u.soft, hard = u.single ? *u.single : u.hard;
      ul.push_back(Json{{"Name", name}, {"Soft", soft}, {"Hard", hard}});
    }
    h["Ulimits"] = ul;
  }
  if (!s.extra_hosts.empty()) {
    Json hosts = Json::array();
    for (const auto& e : s.extra_hosts) hosts.push_back(e.host + ":" + e.ip);
    h["ExtraHosts"] = hosts;
  }
  if (!s.dns.empty()) h["Dns"] = s.dns;
  if (!s.dns_search.empty()) h["DnsSearch"] = s.dns_search;
  if (!s.dns_opt.empty()) h["DnsOptions"] = s.dns_opt;
  if (s.logging && (!s.logging->driver.empty() || !s.logging->options.empty())) {
    h["LogConfig"] = Json{{"Type", s.logging->driver}, {"Config", s.logging->options}};
  }
  if (!s.devices.empty()) {
    Json devs = Json::array();
    for (const auto& d : s.devices)
      devs.push_back(Json{{"PathOnHost", d.source},
                          {"PathInContainer", d.target.empty() ? d.source : d.target},
                          {"CgroupPermissions", d.permissions.empty() ? "rwm" : d.permissions}});
    h["Devices"] = devs;
  }
  if (!s.device_cgroup_rules.empty()) h["DeviceCgroupRules"] = s.device_cgroup_rules;
  if (!s.group_add.empty()) h["GroupAdd"] = s.group_add;
  return h;
}

}  // namespace berth::compose_ops
