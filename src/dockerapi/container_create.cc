#include "dockerapi/container_create.h"

#include "base/mac.h"

namespace berth::dockerapi {
namespace {

using nlohmann::json;
using model::StringMap;

std::unexpected<Error> invalid(std::string message) { return fail(Errc::InvalidArgument, std::move(message)); }

// A MacAddress field: empty, or a unicast MAC in one of Go's forms, kept in
// the one form (lower case, colons) that inspect shows and the kernel is given.
Result<std::string> mac_field(const FieldReader& r, const char* key) {
  std::string text = TRY(r.string(key));
  if (text.empty()) return text;
  auto mac = parse_mac(text);
  if (!mac) return invalid(r.field(key) + ": " + mac.error().message);
  return format_mac(*mac);
}

Result<model::Healthcheck> parse_healthcheck(const FieldReader& r) {
  model::Healthcheck h;
  h.test = TRY(r.strings("Test"));
  h.interval_ns = TRY(r.int64("Interval"));
  h.timeout_ns = TRY(r.int64("Timeout"));
  h.start_period_ns = TRY(r.int64("StartPeriod"));
  h.start_interval_ns = TRY(r.int64("StartInterval"));
  h.retries = static_cast<int>(TRY(r.int64("Retries")));
  return h;
}

Result<std::vector<model::PortBinding>> parse_bindings(const json& list, const std::string& field) {
  std::vector<model::PortBinding> out;
  if (list.is_null()) return out;
  if (!list.is_array()) return std::unexpected(type_error(list, field, "[]nat.PortBinding"));
  for (size_t i = 0; i < list.size(); ++i) {
    auto b = TRY(FieldReader::of(list[i], field + "[" + std::to_string(i) + "]"));
    out.push_back({TRY(b.string("HostIp")), TRY(b.string("HostPort"))});
  }
  return out;
}

Result<model::PortMap> parse_port_bindings(const FieldReader& hc) {
  model::PortMap out;
  const json* v = hc.raw("PortBindings");
  if (!v || v->is_null()) return out;
  if (!v->is_object()) return std::unexpected(type_error(*v, hc.field("PortBindings"), "nat.PortMap"));
  for (const auto& [port, list] : v->items()) out[port] = TRY(parse_bindings(list, hc.field("PortBindings") + "[" + port + "]"));
  return out;
}

Result<model::MountSpec> parse_mount(const FieldReader& m) {
  model::MountSpec s;
  std::string type = TRY(m.string("Type"));
  s.type = TRY(model::parse_mount_type(type));
  s.source = TRY(m.string("Source"));
  s.target = TRY(m.string("Target"));
  s.read_only = TRY(m.boolean("ReadOnly"));
  s.consistency = TRY(m.string("Consistency"));
  auto bind = TRY(m.object("BindOptions"));
  auto volume = TRY(m.object("VolumeOptions"));
  auto tmpfs = TRY(m.object("TmpfsOptions"));
  if (m.has("BindOptions") && s.type != model::MountType::Bind)
    return invalid("invalid mount config: BindOptions given for a mount of type " + type);
  if (m.has("VolumeOptions") && s.type != model::MountType::Volume)
    return invalid("invalid mount config: VolumeOptions given for a mount of type " + type);
  if (m.has("TmpfsOptions") && s.type != model::MountType::Tmpfs)
    return invalid("invalid mount config: TmpfsOptions given for a mount of type " + type);
  s.bind_propagation = TRY(model::parse_propagation(TRY(bind.string("Propagation"))));
  s.bind_non_recursive = TRY(bind.boolean("NonRecursive"));
  s.volume_no_copy = TRY(volume.boolean("NoCopy"));
  s.volume_labels = TRY(volume.string_map("Labels"));
  auto driver = TRY(volume.object("DriverConfig"));
  s.volume_driver = TRY(driver.string("Name"));
  s.volume_driver_options = TRY(driver.string_map("Options"));
  s.tmpfs_size_bytes = TRY(tmpfs.int64("SizeBytes"));
  if (tmpfs.has("Mode")) s.tmpfs_mode = static_cast<uint32_t>(TRY(tmpfs.uint64("Mode")));
  return s;
}

Result<void> check_link_format(const std::vector<std::string>& links) {
  for (const auto& l : links) {
    auto colon = l.find(':');
    std::string name = l.substr(0, colon);
    if (!name.empty() && name.front() == '/') name.erase(0, 1);
    if (name.empty() || (colon != std::string::npos && l.find(':', colon + 1) != std::string::npos))
      return invalid("bad format for links: " + l);
  }
  return {};
}

// HostConfig.Links ("name" or "name:alias" each, as Docker's opts.ParseLink).
// On a user-defined network dockerd registers no legacy link: the field is
// kept and unused (inspect shows Links null: it lists the link graph, which
// such containers are not in), and names resolve through the network's DNS.
// docker-compose 1.29 sends them for every one-off (`run`) container, linking
// it to its own service. Legacy links on the default bridge (/etc/hosts and
// <ALIAS>_PORT_* variables) are not implemented: refused there.
Result<void> check_links(const FieldReader& hc) {
  auto links = TRY(hc.strings("Links"));
  if (links.empty()) return {};
  TRYV(check_link_format(links));
  auto mode = TRY(model::NetworkMode::parse(TRY(hc.string("NetworkMode"))));
  using Kind = model::NetworkMode::Kind;
  switch (mode.kind) {
    case Kind::Network: return {};
    case Kind::Host:
      return invalid("conflicting options: host type networking can't be used with links. This would result in "
                     "undefined behavior");
    case Kind::Container:
      return invalid("conflicting options: container type network can't be used with links. This would result in "
                     "undefined behavior");
    default:
      return invalid(hc.field("Links") + ": legacy links outside a user-defined network are not supported by berth "
                     "yet (on a user-defined network containers find each other by name)");
  }
}

// Fields of Docker's HostConfig that berth does not implement: refused when
// set, so that a setting the user asked for is never silently dropped.
Result<void> refuse_unsupported(const FieldReader& hc) {
  static const char* const kLists[] = {"DeviceRequests", "BlkioWeightDevice",
                                       "BlkioDeviceReadBps", "BlkioDeviceWriteBps", "BlkioDeviceReadIOps",
                                       "BlkioDeviceWriteIOps"};
  for (const char* key : kLists) {
    const json* v = hc.raw(key);
    if (v && !v->is_null() && !(v->is_array() && v->empty()))
      return invalid(hc.field(key) + " is not supported by berth yet");
  }
  TRYV(check_links(hc));
  static const char* const kNumbers[] = {"CpuRealtimePeriod", "CpuRealtimeRuntime", "CpuCount", "CpuPercent",
                                         "IOMaximumIOps", "IOMaximumBandwidth", "KernelMemoryTCP"};
  for (const char* key : kNumbers)
    if (TRY(hc.int64(key)) != 0) return invalid(hc.field(key) + " is not supported by berth yet");
  if (auto v = TRY(hc.string("VolumeDriver")); !v.empty() && v != "local")
    return invalid("volume driver " + v + " is not supported: berth has the local driver only");
  if (auto v = TRY(hc.string("UsernsMode")); !v.empty() && v != "host")
    return invalid("invalid USER mode: " + v + " (berth knows \"host\", or none for the daemon's userns-remap)");
  if (auto v = TRY(hc.string("Isolation")); !v.empty() && v != "default")
    return invalid("invalid isolation: " + v + " (on Linux only \"default\")");
  if (!TRY(hc.string("Cgroup")).empty()) return invalid(hc.field("Cgroup") + " is not supported by berth yet");
  if (!TRY(hc.string_map("StorageOpt")).empty())
    return invalid("--storage-opt is supported only for overlay over xfs with 'pquota' mount option");
  if (!TRY(hc.string_map("Annotations")).empty())
    return invalid(hc.field("Annotations") + " is not supported by berth yet");
  return {};
}

}  // namespace

Result<model::RestartPolicy> parse_restart_policy(const FieldReader& r) {
  model::RestartPolicy p;
  std::string name = TRY(r.string("Name"));
  p.name = TRY(model::parse_restart_policy_name(name));
  p.max_retries = static_cast<int>(TRY(r.int64("MaximumRetryCount")));
  return p;
}

Result<model::Resources> parse_resources(const FieldReader& r) {
  model::Resources res;
  res.memory = TRY(r.int64("Memory"));
  res.memory_swap = TRY(r.int64("MemorySwap"));
  res.memory_reservation = TRY(r.int64("MemoryReservation"));
  res.memory_swappiness = TRY(r.opt_int64("MemorySwappiness"));
  res.oom_kill_disable = TRY(r.opt_bool("OomKillDisable"));
  res.nano_cpus = TRY(r.int64("NanoCpus"));
  res.cpu_shares = TRY(r.int64("CpuShares"));
  res.cpu_period = TRY(r.int64("CpuPeriod"));
  res.cpu_quota = TRY(r.int64("CpuQuota"));
  res.cpuset_cpus = TRY(r.string("CpusetCpus"));
  res.cpuset_mems = TRY(r.string("CpusetMems"));
  res.pids_limit = TRY(r.opt_int64("PidsLimit"));
  uint64_t blkio_weight = TRY(r.uint64("BlkioWeight"));
  if (blkio_weight > 65535)  // Go's uint16
    return std::unexpected(type_error(*r.raw("BlkioWeight"), r.field("BlkioWeight"), "uint16"));
  res.blkio_weight = static_cast<int>(blkio_weight);
  res.cgroup_parent = TRY(r.string("CgroupParent"));
  for (const auto& u : TRY(r.objects("Ulimits")))
    res.ulimits.push_back({TRY(u.string("Name")), TRY(u.int64("Soft")), TRY(u.int64("Hard"))});
  return res;
}

Result<model::ContainerConfig> parse_config(const FieldReader& r) {
  model::ContainerConfig c;
  c.image = TRY(r.string("Image"));
  c.hostname = TRY(r.string("Hostname"));
  c.domainname = TRY(r.string("Domainname"));
  c.user = TRY(r.string("User"));
  c.working_dir = TRY(r.string("WorkingDir"));
  c.attach_stdin = TRY(r.boolean("AttachStdin"));
  c.attach_stdout = TRY(r.boolean("AttachStdout"));
  c.attach_stderr = TRY(r.boolean("AttachStderr"));
  c.tty = TRY(r.boolean("Tty"));
  c.open_stdin = TRY(r.boolean("OpenStdin"));
  c.stdin_once = TRY(r.boolean("StdinOnce"));
  c.env = TRY(r.strings("Env"));
  c.cmd = TRY(r.str_slice("Cmd"));
  c.entrypoint = TRY(r.str_slice("Entrypoint"));
  if (r.has("Healthcheck")) c.healthcheck = TRY(parse_healthcheck(TRY(r.object("Healthcheck"))));
  c.args_escaped = TRY(r.boolean("ArgsEscaped"));
  c.network_disabled = TRY(r.boolean("NetworkDisabled"));
  c.mac_address = TRY(mac_field(r, "MacAddress"));
  c.on_build = TRY(r.strings("OnBuild"));
  c.labels = TRY(r.string_map("Labels"));
  c.stop_signal = TRY(r.string("StopSignal"));
  if (r.has("StopTimeout")) c.stop_timeout = static_cast<int>(TRY(r.int64("StopTimeout")));
  c.shell = TRY(r.str_slice("Shell")).value_or(std::vector<std::string>{});
  c.exposed_ports = TRY(r.key_set("ExposedPorts"));
  c.volumes = TRY(r.key_set("Volumes"));
  return c;
}

Result<model::HostConfig> parse_host_config(const FieldReader& r, bool refuse_unsupported_fields) {
  if (refuse_unsupported_fields) TRYV(refuse_unsupported(r));
  model::HostConfig h;
  h.binds = TRY(r.strings("Binds"));
  auto log = TRY(r.object("LogConfig"));
  h.log_config.driver = TRY(log.string("Type"));
  h.log_config.options = TRY(log.string_map("Config"));
  h.network_mode = TRY(model::NetworkMode::parse(TRY(r.string("NetworkMode"))));
  h.port_bindings = TRY(parse_port_bindings(r));
  h.restart_policy = TRY(parse_restart_policy(TRY(r.object("RestartPolicy"))));
  h.auto_remove = TRY(r.boolean("AutoRemove"));
  h.volumes_from = TRY(r.strings("VolumesFrom"));
  if (const json* size = r.raw("ConsoleSize"); size && !size->is_null()) {
    if (!size->is_array() || size->size() != 2 || !is_unsigned_integer((*size)[0]) || !is_unsigned_integer((*size)[1]))
      return std::unexpected(type_error(*size, r.field("ConsoleSize"), "[2]uint"));
    unsigned height = (*size)[0].get<unsigned>(), width = (*size)[1].get<unsigned>();
    if (height > 0 && width > 0) h.console_size = std::array<unsigned, 2>{height, width};
  }
  h.cap_add = TRY(r.str_slice("CapAdd")).value_or(std::vector<std::string>{});
  h.cap_drop = TRY(r.str_slice("CapDrop")).value_or(std::vector<std::string>{});
  h.cgroupns_mode = TRY(model::parse_cgroupns_mode(TRY(r.string("CgroupnsMode"))));
  h.dns = TRY(r.strings("Dns"));
  h.dns_options = TRY(r.strings("DnsOptions"));
  h.dns_search = TRY(r.strings("DnsSearch"));
  h.extra_hosts = TRY(r.strings("ExtraHosts"));
  h.group_add = TRY(r.strings("GroupAdd"));
  using Of = model::NamespaceMode::Of;
  h.ipc_mode = TRY(model::NamespaceMode::parse(TRY(r.string("IpcMode")), Of::Ipc));
  h.pid_mode = TRY(model::NamespaceMode::parse(TRY(r.string("PidMode")), Of::Pid));
  h.uts_mode = TRY(model::NamespaceMode::parse(TRY(r.string("UTSMode")), Of::Uts));
  h.oom_score_adj = static_cast<int>(TRY(r.int64("OomScoreAdj")));
  h.privileged = TRY(r.boolean("Privileged"));
  h.userns_host = TRY(r.string("UsernsMode")) == "host";
  h.publish_all_ports = TRY(r.boolean("PublishAllPorts"));
  h.readonly_rootfs = TRY(r.boolean("ReadonlyRootfs"));
  h.init = TRY(r.opt_bool("Init"));
  h.security_opt = TRY(r.strings("SecurityOpt"));
  h.tmpfs = TRY(r.string_map("Tmpfs"));
  h.sysctls = TRY(r.string_map("Sysctls"));
  h.shm_size = TRY(r.int64("ShmSize"));
  h.runtime = TRY(r.string("Runtime"));
  h.resources = TRY(parse_resources(r));
  for (const auto& m : TRY(r.objects("Mounts"))) h.mounts.push_back(TRY(parse_mount(m)));
  h.masked_paths = TRY(r.opt_strings("MaskedPaths"));
  h.readonly_paths = TRY(r.opt_strings("ReadonlyPaths"));
  for (const auto& d : TRY(r.objects("Devices"))) {
    model::DeviceMapping m;
    m.path_on_host = TRY(d.string("PathOnHost"));
    m.path_in_container = TRY(d.string("PathInContainer"));
    m.cgroup_permissions = TRY(d.string("CgroupPermissions"));
    if (m.path_on_host.empty()) return invalid(r.field("Devices") + ": PathOnHost is required");
    h.devices.push_back(std::move(m));
  }
  h.device_cgroup_rules = TRY(r.strings("DeviceCgroupRules"));
  return h;
}

Result<model::EndpointRequest> parse_endpoint(const FieldReader& r) {
  model::EndpointRequest e;
  e.aliases = TRY(r.strings("Aliases"));
  e.links = TRY(r.strings("Links"));
  e.driver_options = TRY(r.string_map("DriverOpts"));
  auto ipam = TRY(r.object("IPAMConfig"));
  e.ipv4_address = TRY(ipam.string("IPv4Address"));
  e.mac_address = TRY(mac_field(r, "MacAddress"));
  if (!TRY(ipam.string("IPv6Address")).empty())
    return invalid(ipam.field("IPv6Address") + ": IPv6 is not supported by berth yet");
  // EndpointSettings.Links ("name:alias"): on a user-defined network the alias
  // resolves to the container `name` for this container alone (the engine
  // refuses them on other networks). The docker CLI puts `run --link` here on
  // user-defined networks; docker-compose sends a service's `links:` here.
  TRYV(check_link_format(e.links));
  return e;
}

Result<model::ContainerSpec> parse_create_body(const json& body) {
  if (!body.is_object()) return invalid("the request body must be a JSON object (the container's config)");
  auto top = TRY(FieldReader::of(body, ""));
  model::ContainerSpec spec;
  spec.config = TRY(parse_config(top));
  spec.host = TRY(parse_host_config(TRY(top.object("HostConfig"))));
  auto networking = TRY(top.object("NetworkingConfig"));
  for (const auto& [name, ep] : TRY(networking.object_map("EndpointsConfig")))
    spec.endpoints[name] = TRY(parse_endpoint(ep));
  return spec;
}

}  // namespace berth::dockerapi
