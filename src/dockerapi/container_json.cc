#include "dockerapi/container_json.h"

#include <ctime>

#include "base/go_time.h"
#include "base/go_units.h"

namespace berth::dockerapi {
namespace {

using nlohmann::json;

json strings_or_null(const std::vector<std::string>& v) { return v.empty() ? json(nullptr) : json(v); }

json opt_strings(const std::optional<std::vector<std::string>>& v) { return v ? json(*v) : json(nullptr); }

json key_set(const std::set<std::string>& keys) {
  json out = json::object();
  for (const auto& k : keys) out[k] = json::object();
  return out;
}

json port_bindings(const std::vector<model::PortBinding>& list) {
  json out = json::array();
  for (const auto& b : list) out.push_back({{"HostIp", b.host_ip}, {"HostPort", b.host_port}});
  return out;
}

json mount_spec(const model::MountSpec& m) {
  json j = {{"Type", std::string(model::to_string(m.type))}, {"Source", m.source}, {"Target", m.target}};
  if (m.read_only) j["ReadOnly"] = true;
  if (!m.consistency.empty()) j["Consistency"] = m.consistency;
  if (m.type == model::MountType::Bind && (m.bind_propagation != model::Propagation::Unset || m.bind_non_recursive)) {
    json b = json::object();
    if (m.bind_propagation != model::Propagation::Unset) b["Propagation"] = std::string(model::to_string(m.bind_propagation));
    if (m.bind_non_recursive) b["NonRecursive"] = true;
    j["BindOptions"] = b;
  }
  if (m.type == model::MountType::Volume &&
      (m.volume_no_copy || !m.volume_labels.empty() || !m.volume_driver.empty() || !m.volume_driver_options.empty())) {
    json v = json::object();
    if (m.volume_no_copy) v["NoCopy"] = true;
    if (!m.volume_labels.empty()) v["Labels"] = m.volume_labels;
    if (!m.volume_driver.empty() || !m.volume_driver_options.empty())
      v["DriverConfig"] = {{"Name", m.volume_driver}, {"Options", m.volume_driver_options}};
    j["VolumeOptions"] = v;
  }
  if (m.type == model::MountType::Tmpfs && (m.tmpfs_size_bytes > 0 || m.tmpfs_mode)) {
    json t = json::object();
    if (m.tmpfs_size_bytes > 0) t["SizeBytes"] = m.tmpfs_size_bytes;
    if (m.tmpfs_mode) t["Mode"] = *m.tmpfs_mode;
    j["TmpfsOptions"] = t;
  }
  return j;
}

json empty_endpoint() {
  return {{"IPAMConfig", nullptr}, {"Links", nullptr},  {"Aliases", nullptr},       {"NetworkID", ""},
          {"EndpointID", ""},      {"Gateway", ""},     {"IPAddress", ""},          {"IPPrefixLen", 0},
          {"IPv6Gateway", ""},     {"GlobalIPv6Address", ""}, {"GlobalIPv6PrefixLen", 0}, {"MacAddress", ""},
          {"DriverOpts", nullptr}};
}

json endpoint(const model::EndpointInfo& e) {
  json j = empty_endpoint();
  j["NetworkID"] = e.network_id;
  j["EndpointID"] = e.endpoint_id;
  j["Gateway"] = e.gateway;
  j["IPAddress"] = e.ip_address;
  j["IPPrefixLen"] = e.ip_prefix_len;
  j["MacAddress"] = e.mac_address;
  if (!e.aliases.empty()) j["Aliases"] = e.aliases;
  if (!e.links.empty()) j["Links"] = e.links;
  if (!e.requested_ipv4.empty()) j["IPAMConfig"] = {{"IPv4Address", e.requested_ipv4}};
  return j;
}

json networks_json(const model::ContainerInfo& c) {
  json out = json::object();
  for (const auto& [name, ep] : c.network.networks) out[name] = endpoint(ep);
  return out;
}

json network_settings(const model::ContainerInfo& c) {
  json networks = networks_json(c);
  json top = networks.contains("bridge") ? networks["bridge"] : empty_endpoint();
  json ports = json::object();
  for (const auto& [port, bindings] : c.network.ports)
    ports[port] = bindings ? port_bindings(*bindings) : json(nullptr);
  return {{"Bridge", ""},
          {"SandboxID", ""},
          {"HairpinMode", false},
          {"LinkLocalIPv6Address", ""},
          {"LinkLocalIPv6PrefixLen", 0},
          {"Ports", ports},
          {"SandboxKey", c.network.sandbox_key},
          {"SecondaryIPAddresses", nullptr},
          {"SecondaryIPv6Addresses", nullptr},
          {"EndpointID", top["EndpointID"]},
          {"Gateway", top["Gateway"]},
          {"GlobalIPv6Address", ""},
          {"GlobalIPv6PrefixLen", 0},
          {"IPAddress", top["IPAddress"]},
          {"IPPrefixLen", top["IPPrefixLen"]},
          {"IPv6Gateway", ""},
          {"MacAddress", top["MacAddress"]},
          {"Networks", networks}};
}

json mounts_json(const std::vector<model::MountPoint>& mounts) {
  json out = json::array();
  for (const auto& m : mounts) {
    json j = {{"Type", std::string(model::to_string(m.type))}};
    if (m.type == model::MountType::Volume) j["Name"] = m.name;
    j["Source"] = m.source;
    j["Destination"] = m.destination;
    if (m.type == model::MountType::Volume) j["Driver"] = m.driver;
    j["Mode"] = m.mode;
    j["RW"] = m.rw;
    j["Propagation"] = std::string(model::to_string(m.propagation));
    out.push_back(std::move(j));
  }
  return out;
}

}  // namespace

json render_health(const model::Health& h) {
  json log = json::array();
  for (const auto& r : h.log)
    log.push_back({{"Start", r.start}, {"End", r.end}, {"ExitCode", r.exit_code}, {"Output", r.output}});
  return {{"Status", std::string(model::to_string(h.status))}, {"FailingStreak", h.failing_streak}, {"Log", log}};
}

namespace {

json state_json(const model::ContainerInfo& c) {
  const auto& s = c.state;
  json j = {{"Status", s.status(c.ever_started)},
          {"Running", s.running},
          {"Paused", s.paused},
          {"Restarting", s.restarting},
          {"OOMKilled", s.oom_killed},
          {"Dead", s.dead},
          {"Pid", s.pid},
          {"ExitCode", s.exit_code},
          {"Error", s.error},
          {"StartedAt", s.started_at},
          {"FinishedAt", s.finished_at}};
  if (s.health) j["Health"] = render_health(*s.health);
  if (!c.runtime_details.empty()) j["RuntimeDetails"] = c.runtime_details;
  return j;
}

json ports_summary(const model::ContainerInfo& c) {
  json out = json::array();
  for (const auto& [key, bindings] : c.network.ports) {
    auto slash = key.find('/');
    int port = std::atoi(key.substr(0, slash).c_str());
    std::string proto = slash == std::string::npos ? "tcp" : key.substr(slash + 1);
    if (!bindings || bindings->empty()) {
      out.push_back({{"PrivatePort", port}, {"Type", proto}});
      continue;
    }
    for (const auto& b : *bindings)
      out.push_back({{"IP", b.host_ip.empty() ? "0.0.0.0" : b.host_ip},
                     {"PrivatePort", port},
                     {"PublicPort", std::atoi(b.host_port.c_str())},
                     {"Type", proto}});
  }
  return out;
}

}  // namespace

std::string summary_command(const std::string& path, const std::vector<std::string>& args) {
  std::string cmd = path;
  for (const auto& a : args) {
    cmd += ' ';
    if (a.find(' ') != std::string::npos) cmd += "'" + a + "'";
    else cmd += a;
  }
  return cmd;
}

std::string status_text(const model::RunState& s, bool ever_started, int64_t now_s) {
  if (s.removing) return "Removal In Progress";
  if (s.dead) return "Dead";
  auto ago = [&](const std::string& t) { return go::human_duration(now_s - go::parse_rfc3339(t).value_or(go::UnixTime{now_s, 0}).sec); };
  if (s.restarting) return "Restarting (" + std::to_string(s.exit_code) + ") " + ago(s.finished_at) + " ago";
  if (s.running && s.paused) return "Up " + ago(s.started_at) + " (Paused)";
  if (s.running && s.health)
    return "Up " + ago(s.started_at) + " (" +
           (s.health->status == model::HealthStatus::Starting ? std::string("health: starting")
                                                              : std::string(model::to_string(s.health->status))) +
           ")";
  if (s.running) return "Up " + ago(s.started_at);
  if (!ever_started) return "Created";
  return "Exited (" + std::to_string(s.exit_code) + ") " + ago(s.finished_at) + " ago";
}

json render_config(const model::ContainerConfig& c) {
  json j = {{"Hostname", c.hostname},       {"Domainname", c.domainname},     {"User", c.user},
            {"AttachStdin", c.attach_stdin}, {"AttachStdout", c.attach_stdout}, {"AttachStderr", c.attach_stderr},
            {"Tty", c.tty},                 {"OpenStdin", c.open_stdin},      {"StdinOnce", c.stdin_once},
            {"Env", strings_or_null(c.env)}, {"Cmd", opt_strings(c.cmd)},      {"Image", c.image},
            {"Volumes", c.volumes.empty() ? json(nullptr) : key_set(c.volumes)},
            {"WorkingDir", c.working_dir},  {"Entrypoint", opt_strings(c.entrypoint)},
            {"OnBuild", strings_or_null(c.on_build)}, {"Labels", c.labels}};
  if (!c.exposed_ports.empty()) j["ExposedPorts"] = key_set(c.exposed_ports);
  if (c.healthcheck) {
    json h = json::object();
    if (!c.healthcheck->test.empty()) h["Test"] = c.healthcheck->test;
    if (c.healthcheck->interval_ns) h["Interval"] = c.healthcheck->interval_ns;
    if (c.healthcheck->timeout_ns) h["Timeout"] = c.healthcheck->timeout_ns;
    if (c.healthcheck->start_period_ns) h["StartPeriod"] = c.healthcheck->start_period_ns;
    if (c.healthcheck->start_interval_ns) h["StartInterval"] = c.healthcheck->start_interval_ns;
    if (c.healthcheck->retries) h["Retries"] = c.healthcheck->retries;
    j["Healthcheck"] = h;
  }
  if (c.args_escaped) j["ArgsEscaped"] = true;
  if (c.network_disabled) j["NetworkDisabled"] = true;
  if (!c.mac_address.empty()) j["MacAddress"] = c.mac_address;
  if (!c.stop_signal.empty()) j["StopSignal"] = c.stop_signal;
  if (c.stop_timeout) j["StopTimeout"] = *c.stop_timeout;
  if (!c.shell.empty()) j["Shell"] = c.shell;
  return j;
}

json render_host_config(const model::HostConfig& h) {
  const auto& r = h.resources;
  json ports = json::object();
  for (const auto& [port, list] : h.port_bindings) ports[port] = port_bindings(list);
  json ulimits = json::array();
  for (const auto& u : r.ulimits) ulimits.push_back({{"Name", u.name}, {"Hard", u.hard}, {"Soft", u.soft}});
  json devices = json::array();
  for (const auto& d : h.devices)
    devices.push_back({{"PathOnHost", d.path_on_host},
                       {"PathInContainer", d.path_in_container.empty() ? d.path_on_host : d.path_in_container},
                       {"CgroupPermissions", d.cgroup_permissions.empty() ? "rwm" : d.cgroup_permissions}});
  json console = json::array({0, 0});
  if (h.console_size) console = json::array({(*h.console_size)[0], (*h.console_size)[1]});
  json j = {{"Binds", strings_or_null(h.binds)},
            {"ContainerIDFile", ""},
            {"LogConfig", {{"Type", h.log_config.driver}, {"Config", h.log_config.options}}},
            {"NetworkMode", h.network_mode.str()},
            {"PortBindings", ports},
            {"RestartPolicy",
             {{"Name", std::string(model::to_string(h.restart_policy.name))},
              {"MaximumRetryCount", h.restart_policy.max_retries}}},
            {"AutoRemove", h.auto_remove},
            {"VolumeDriver", ""},
            {"VolumesFrom", strings_or_null(h.volumes_from)},
            {"CapAdd", strings_or_null(h.cap_add)},
            {"CapDrop", strings_or_null(h.cap_drop)},
            {"CgroupnsMode", std::string(model::to_string(h.cgroupns_mode))},
            {"Dns", h.dns},
            {"DnsOptions", h.dns_options},
            {"DnsSearch", h.dns_search},
            {"ExtraHosts", strings_or_null(h.extra_hosts)},
            {"GroupAdd", strings_or_null(h.group_add)},
            {"IpcMode", h.ipc_mode.str()},
            {"Cgroup", ""},
            {"Links", nullptr},
            {"OomScoreAdj", h.oom_score_adj},
            {"PidMode", h.pid_mode.str()},
            {"Privileged", h.privileged},
            {"PublishAllPorts", h.publish_all_ports},
            {"ReadonlyRootfs", h.readonly_rootfs},
            {"SecurityOpt", strings_or_null(h.security_opt)},
            {"UTSMode", h.uts_mode.str()},
            {"UsernsMode", h.userns_host ? "host" : ""},
            {"ShmSize", h.shm_size},
            {"Runtime", h.runtime},
            {"ConsoleSize", console},
            {"Isolation", ""},
            {"CpuShares", r.cpu_shares},
            {"Memory", r.memory},
            {"NanoCpus", r.nano_cpus},
            {"CgroupParent", r.cgroup_parent},
            {"BlkioWeight", r.blkio_weight},
            {"BlkioWeightDevice", json::array()},
            {"BlkioDeviceReadBps", nullptr},
            {"BlkioDeviceWriteBps", nullptr},
            {"BlkioDeviceReadIOps", nullptr},
            {"BlkioDeviceWriteIOps", nullptr},
            {"CpuPeriod", r.cpu_period},
            {"CpuQuota", r.cpu_quota},
            {"CpuRealtimePeriod", 0},
            {"CpuRealtimeRuntime", 0},
            {"CpusetCpus", r.cpuset_cpus},
            {"CpusetMems", r.cpuset_mems},
            {"Devices", devices},
            {"DeviceCgroupRules", strings_or_null(h.device_cgroup_rules)},
            {"DeviceRequests", nullptr},
            {"KernelMemory", 0},
            {"KernelMemoryTCP", 0},
            {"MemoryReservation", r.memory_reservation},
            {"MemorySwap", r.memory_swap},
            {"MemorySwappiness", r.memory_swappiness ? json(*r.memory_swappiness) : json(nullptr)},
            {"OomKillDisable", r.oom_kill_disable.value_or(false)},
            {"PidsLimit", r.pids_limit ? json(*r.pids_limit) : json(nullptr)},
            {"Ulimits", r.ulimits.empty() ? json(nullptr) : ulimits},
            {"CpuCount", 0},
            {"CpuPercent", 0},
            {"IOMaximumIOps", 0},
            {"IOMaximumBandwidth", 0},
            {"MaskedPaths", opt_strings(h.masked_paths)},
            {"ReadonlyPaths", opt_strings(h.readonly_paths)}};
  if (!h.tmpfs.empty()) j["Tmpfs"] = h.tmpfs;
  if (!h.sysctls.empty()) j["Sysctls"] = h.sysctls;
  if (!h.mounts.empty()) {
    json mounts = json::array();
    for (const auto& m : h.mounts) mounts.push_back(mount_spec(m));
    j["Mounts"] = mounts;
  }
  if (h.init) j["Init"] = *h.init;
  return j;
}

json render_inspect(const model::ContainerInfo& c) {
  json j = {{"Id", c.id},
            {"Created", c.created},
            {"Path", c.path},
            {"Args", c.args},
            {"State", state_json(c)},
            {"Image", c.image_id},
            {"ResolvConfPath", c.resolv_conf_path},
            {"HostnamePath", c.hostname_path},
            {"HostsPath", c.hosts_path},
            {"LogPath", c.log_path},
            {"Name", c.name},
            {"RestartCount", c.restart_count},
            {"Driver", "overlay2"},
            {"Platform", "linux"},
            {"MountLabel", ""},
            {"ProcessLabel", ""},
            {"AppArmorProfile", ""},
            {"ExecIDs", strings_or_null(c.exec_ids)},
            {"HostConfig", render_host_config(c.spec.host)},
            {"GraphDriver", {{"Name", "overlay2"}, {"Data", {{"MergedDir", c.rootfs_path}}}}},
            {"Mounts", mounts_json(c.mounts)},
            {"Config", render_config(c.spec.config)},
            {"NetworkSettings", network_settings(c)}};
  if (c.size_rw) j["SizeRw"] = *c.size_rw;
  if (c.size_root_fs) j["SizeRootFs"] = *c.size_root_fs;
  return j;
}

json render_summary(const model::ContainerInfo& c, int64_t now_s) {
  json j = {{"Id", c.id},
            {"Names", {c.name}},
            {"Image", c.image},
            {"ImageID", c.image_id},
            {"Command", summary_command(c.path, c.args)},
            {"Created", go::parse_rfc3339(c.created).value_or(go::UnixTime{}).sec},
            {"Ports", ports_summary(c)},
            {"Labels", c.spec.config.labels},
            {"State", c.state.status(c.ever_started)},
            {"Status", status_text(c.state, c.ever_started, now_s)},
            {"HostConfig", {{"NetworkMode", c.spec.host.network_mode.str()}}},
            {"NetworkSettings", {{"Networks", networks_json(c)}}},
            {"Mounts", mounts_json(c.mounts)}};
  if (c.size_rw) j["SizeRw"] = *c.size_rw;
  if (c.size_root_fs) j["SizeRootFs"] = *c.size_root_fs;
  return j;
}

}  // namespace berth::dockerapi
