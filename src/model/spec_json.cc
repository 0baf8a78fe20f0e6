#include "model/spec_json.h"

namespace nlohmann {

// nullopt <-> null (nlohmann 3.11 has no std::optional support of its own).
template <class T>
struct adl_serializer<std::optional<T>> {
  static void to_json(json& j, const std::optional<T>& v) {
    if (v) j = *v;
    else j = nullptr;
  }
  static void from_json(const json& j, std::optional<T>& v) {
    if (j.is_null()) v.reset();
    else v = j.get<T>();
  }
};

}  // namespace nlohmann

namespace berth::model {

NLOHMANN_JSON_SERIALIZE_ENUM(RestartPolicyName, {{RestartPolicyName::No, "no"},
                                                 {RestartPolicyName::Always, "always"},
                                                 {RestartPolicyName::UnlessStopped, "unless-stopped"},
                                                 {RestartPolicyName::OnFailure, "on-failure"},
                                                 {RestartPolicyName::OnUnhealthy, "on-unhealthy"}})
NLOHMANN_JSON_SERIALIZE_ENUM(CgroupnsMode, {{CgroupnsMode::Unset, ""},
                                            {CgroupnsMode::Private, "private"},
                                            {CgroupnsMode::Host, "host"}})
NLOHMANN_JSON_SERIALIZE_ENUM(MountType, {{MountType::Bind, "bind"},
                                         {MountType::Volume, "volume"},
                                         {MountType::Tmpfs, "tmpfs"}})
NLOHMANN_JSON_SERIALIZE_ENUM(Propagation, {{Propagation::Unset, ""},
                                           {Propagation::Private, "private"},
                                           {Propagation::RPrivate, "rprivate"},
                                           {Propagation::Shared, "shared"},
                                           {Propagation::RShared, "rshared"},
                                           {Propagation::Slave, "slave"},
                                           {Propagation::RSlave, "rslave"}})

// The modes are stored as their text; the kinds decide how they parse back.
void to_json(nlohmann::json& j, const NetworkMode& m) { j = m.str(); }
void from_json(const nlohmann::json& j, NetworkMode& m) {
  auto parsed = NetworkMode::parse(j.get<std::string>(), /*allow_path=*/true);
  if (!parsed) throw std::invalid_argument(parsed.error().message);
  m = *parsed;
}

NLOHMANN_JSON_SERIALIZE_ENUM(NamespaceMode::Kind, {{NamespaceMode::Kind::Unset, ""},
                                                   {NamespaceMode::Kind::Private, "private"},
                                                   {NamespaceMode::Kind::Host, "host"},
                                                   {NamespaceMode::Kind::Shareable, "shareable"},
                                                   {NamespaceMode::Kind::None, "none"},
                                                   {NamespaceMode::Kind::Container, "container"},
                                                   {NamespaceMode::Kind::Path, "path"}})
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(NamespaceMode, kind, target)

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Healthcheck, test, interval_ns, timeout_ns, start_period_ns,
                                                start_interval_ns, retries)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ContainerConfig, image, hostname, domainname, user, working_dir,
                                                attach_stdin, attach_stdout, attach_stderr, tty, open_stdin,
                                                stdin_once, env, cmd, entrypoint, healthcheck, args_escaped,
                                                network_disabled, mac_address, on_build, labels, stop_signal,
                                                stop_timeout, shell, exposed_ports, volumes)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(RestartPolicy, name, max_retries)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(LogConfig, driver, options)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(PortBinding, host_ip, host_port)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(MountSpec, type, source, target, read_only, consistency,
                                                bind_propagation, bind_non_recursive, volume_no_copy,
                                                volume_labels, volume_driver, volume_driver_options,
                                                tmpfs_size_bytes, tmpfs_mode)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Ulimit, name, soft, hard)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(DeviceMapping, path_on_host, path_in_container, cgroup_permissions)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Resources, memory, memory_swap, memory_reservation,
                                                memory_swappiness, oom_kill_disable, nano_cpus, cpu_shares,
                                                cpu_period, cpu_quota, cpuset_cpus, cpuset_mems, pids_limit,
                                                blkio_weight, hugepage_limits, unified, cgroup_parent, ulimits)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(HostConfig, binds, log_config, network_mode, port_bindings,
                                                restart_policy, auto_remove, volumes_from, console_size, cap_add,
                                                cap_drop, cgroupns_mode, dns, dns_options, dns_search,
                                                extra_hosts, group_add, ipc_mode, pid_mode, uts_mode,
                                                oom_score_adj, privileged, publish_all_ports, readonly_rootfs,
                                                init, security_opt, tmpfs, sysctls, shm_size, runtime,
                                                resources, mounts, masked_paths, readonly_paths, devices,
                                                device_cgroup_rules, userns_host)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(EndpointRequest, aliases, ipv4_address, mac_address, links,
                                                driver_options)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ContainerSpec, config, host, endpoints, ns)

nlohmann::json spec_to_json(const ContainerSpec& spec) { return spec; }

Result<ContainerSpec> spec_from_json(const nlohmann::json& j) {
  try {
    return j.get<ContainerSpec>();
  } catch (const std::exception& e) {
    return fail(Errc::InvalidArgument, std::string("stored container spec: ") + e.what());
  }
}

}  // namespace berth::model
