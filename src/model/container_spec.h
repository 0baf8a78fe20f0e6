// What a container is asked to be, as C++ types: the meaning of Docker's
// Config, HostConfig and NetworkingConfig, without their JSON. Every front
// end (the Docker API edge, the builder, the CRI) builds one of these; the
// engine validates it, stores it (model/record_json.h) and turns it into an
// OCI spec at start (specgen). Enumerated fields are enums, so a value the
// engine does not know cannot get this far.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>


#include "model/modes.h"

namespace berth::model {

using StringMap = std::map<std::string, std::string>;

struct Healthcheck {
  // {"NONE"} disables the image's; {"CMD", args...}; {"CMD-SHELL", "command"}; empty inherits.
  std::vector<std::string> test;
  int64_t interval_ns = 0, timeout_ns = 0, start_period_ns = 0, start_interval_ns = 0;
  int retries = 0;
  bool operator==(const Healthcheck&) const = default;
};

// Docker's Config: the process and the image-level settings. Stored after the
// image's defaults are merged in (what inspect shows as Config).
struct ContainerConfig {
  std::string image;  // the reference as given
  std::string hostname, domainname, user, working_dir;
  bool attach_stdin = false, attach_stdout = false, attach_stderr = false;
  bool tty = false, open_stdin = false, stdin_once = false;
  std::vector<std::string> env;  // "KEY=value"
  // nullopt: not given (the image's applies); an entrypoint of {""} resets the image's.
  std::optional<std::vector<std::string>> cmd, entrypoint;
  std::optional<Healthcheck> healthcheck;
  bool args_escaped = false, network_disabled = false;
  std::string mac_address;  // container-wide (API before 1.44): the main network's MAC
  std::vector<std::string> on_build;
  StringMap labels;
  std::string stop_signal;          // "" = SIGTERM
  std::optional<int> stop_timeout;  // seconds; nullopt = 10
  std::vector<std::string> shell;
  std::set<std::string> exposed_ports;  // "80/tcp"
  std::set<std::string> volumes;        // anonymous volume destinations ("/data")
  bool operator==(const ContainerConfig&) const = default;
};

struct RestartPolicy {
  RestartPolicyName name = RestartPolicyName::No;
  int max_retries = 0;  // on-failure only; 0 = unlimited
  bool operator==(const RestartPolicy&) const = default;
};

// HostConfig.LogConfig. An empty driver means the daemon's default.
struct LogConfig {
  std::string driver;
  StringMap options;
  bool operator==(const LogConfig&) const = default;
};

struct PortBinding {
  std::string host_ip, host_port;  // "" = all addresses / any port
  bool operator==(const PortBinding&) const = default;
};
using PortMap = std::map<std::string, std::vector<PortBinding>>;  // "80/tcp" -> bindings

// HostConfig.Mounts (`--mount`).
struct MountSpec {
  MountType type = MountType::Bind;
  std::string source, target;
  bool read_only = false;
  std::string consistency;
  Propagation bind_propagation = Propagation::Unset;
  bool bind_non_recursive = false;
  bool volume_no_copy = false;
  StringMap volume_labels;
  std::string volume_driver;
  StringMap volume_driver_options;
  int64_t tmpfs_size_bytes = 0;
  std::optional<uint32_t> tmpfs_mode;
  bool operator==(const MountSpec&) const = default;
};

// A host device node given to the container (Docker's HostConfig.Devices,
// the CRI's ContainerConfig.devices).
struct DeviceMapping {
  std::string path_on_host, path_in_container;
  std::string cgroup_permissions = "rwm";  // any of r, w, m
  bool operator==(const DeviceMapping&) const = default;
};

struct Ulimit {
  std::string name;  // "nofile"
  int64_t soft = 0, hard = 0;
  bool operator==(const Ulimit&) const = default;
};

// HostConfig's resource fields (also what `docker update` changes).
struct Resources {
  int64_t memory = 0, memory_swap = 0, memory_reservation = 0;
  std::optional<int64_t> memory_swappiness;  // 0-100; nullopt = the kernel's
  std::optional<bool> oom_kill_disable;
  int64_t nano_cpus = 0, cpu_shares = 0, cpu_period = 0, cpu_quota = 0;
  std::string cpuset_cpus, cpuset_mems;
  std::optional<int64_t> pids_limit;  // <= 0 = unlimited
  int blkio_weight = 0;
  // Not in Docker's API: the CRI's hugepage limits (page size "2MB" -> bytes)
  // and cgroup v2 files to write ("memory.high" -> "1G").
  std::map<std::string, int64_t> hugepage_limits;
  std::map<std::string, std::string> unified;
  std::string cgroup_parent;
  std::vector<Ulimit> ulimits;
  bool operator==(const Resources&) const = default;
};

// Docker's HostConfig.
struct HostConfig {
  std::vector<std::string> binds;  // "-v SRC:DST[:OPTS]" as given
  LogConfig log_config;
  NetworkMode network_mode;
  PortMap port_bindings;
  RestartPolicy restart_policy;
  bool auto_remove = false;
  std::vector<std::string> volumes_from;         // "name[:ro|rw]"
  std::optional<std::array<unsigned, 2>> console_size;  // {height, width}
  std::vector<std::string> cap_add, cap_drop;
  CgroupnsMode cgroupns_mode = CgroupnsMode::Unset;
  std::vector<std::string> dns, dns_options, dns_search, extra_hosts, group_add;
  NamespaceMode ipc_mode, pid_mode, uts_mode;
  int oom_score_adj = 0;
  bool privileged = false, publish_all_ports = false, readonly_rootfs = false;
  // UsernsMode "host": no user namespace under the daemon's userns-remap.
  bool userns_host = false;
  std::optional<bool> init;
  std::vector<std::string> security_opt;
  StringMap tmpfs;    // destination -> "size=64m,exec"
  StringMap sysctls;
  int64_t shm_size = 0;  // 0 = 64 MiB
  std::string runtime;   // "" = the daemon's default
  Resources resources;
  std::vector<MountSpec> mounts;
  std::optional<std::vector<std::string>> masked_paths, readonly_paths;  // set: replace the defaults
  std::vector<DeviceMapping> devices;
  std::vector<std::string> device_cgroup_rules;  // "c 1:3 rwm" (--device-cgroup-rule)
  bool operator==(const HostConfig&) const = default;
};

// One network a container asks to join (NetworkingConfig.EndpointsConfig).
struct EndpointRequest {
  std::vector<std::string> aliases;
  std::string ipv4_address;
  std::string mac_address;  // "02:42:ac:11:00:02" (the edge checks it and writes it so); empty: from the address
  std::vector<std::string> links;
  StringMap driver_options;
  bool operator==(const EndpointRequest&) const = default;
};

struct ContainerSpec {
  ContainerConfig config;
  HostConfig host;
  std::map<std::string, EndpointRequest> endpoints;  // by network name (or the mode's "default")
  // The front end that owns the container, as containerd's namespaces: "" for
  // Docker's (and the builder's), "k8s.io" for the CRI's. Docker's list and
  // events show only "" unless a `namespace` filter asks (docs/user-guide.md).
  // Records stored before it existed load as "".
  std::string ns;
  bool operator==(const ContainerSpec&) const = default;
};

}  // namespace berth::model
