// Docker's container model (Config + HostConfig + the image's config) turned
// into an OCI runtime spec (config.json) with Docker's defaults: namespaces,
// the 14 default capabilities, the default mounts, masked and read-only
// paths, the device allow list and the default seccomp profile.
//
// The flow in the engine:
//   create: merge_config(request Config, the image's defaults) -> the stored
//           Config (what inspect shows), Path and Args; validate(spec).
//   start:  build_spec(SpecInput{stored config, host_config, ...}) -> config.json.
// Everything here is pure except probe_host() (reads this host's facts once)
// and the user lookups (read /etc/passwd and /etc/group inside a rootfs).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "model/container_spec.h"

namespace berth::specgen {

// A device node of the host (for --privileged).
struct HostDevice {
  std::string path;  // /dev/sda
  char type = 'c';   // 'c' or 'b'
  int64_t major = 0, minor = 0;
  uint32_t mode = 0666;  // permission bits
  uint32_t uid = 0, gid = 0;
};

// Facts about the host that change the spec. Tests build one by hand.
struct HostInfo {
  uint64_t cap_bounding = (uint64_t{1} << 41) - 1;  // CapBnd of the daemon: what can be granted
  bool cgroup2 = false;         // pure cgroup v2 host: private cgroup namespace by default
  bool swap_accounting = true;  // memory.memsw.* exists (v1) / memory.swap.max (v2)
  int ncpus = 1;                // CPUs this process may run on (NanoCpus range check)
  std::string hostname;         // host's hostname (--network host without a Hostname)
  std::string kernel;           // uname release, for seccomp minKernel filters
  std::vector<HostDevice> devices;  // /dev nodes (for --privileged)
  // The daemon runs with --userns-remap: containers get a user namespace
  // unless UsernsMode is "host" (validate refuses what Docker refuses then).
  bool userns_remap = false;
  // A rootless daemon: why resource limits cannot be applied (no cgroup tree
  // delegated to the user), or empty when they can; with delegation the
  // containers' cgroups go under the daemon's own (a relative cgroupsPath).
  std::string limits_unavailable;
  bool cgroups_under_daemon = false;
};

// One linux.uidMappings / gidMappings entry.
struct IdMapping {
  uint32_t container_id = 0, host_id = 0, size = 0;
};

// Reads CapBnd, the cgroup layout, the CPU count, uname and /dev once.
Result<HostInfo> probe_host();

// A mount the engine resolved itself (volumes, binds, container:<id> shm...).
struct ExtraMount {
  std::string source, destination, type = "bind";
  std::vector<std::string> options;  // e.g. {"rbind", "rprivate", "ro"}
};

struct SpecInput {
  model::ContainerConfig config;   // the container's Config as stored: merge_config(...).config
  model::HostConfig host_config;   // validated at create
  std::string id;              // container id (64 hex)
  std::string rootfs;          // absolute path of the mounted rootfs
  // Files the engine wrote, bind-mounted at /etc/hostname, /etc/hosts, /etc/resolv.conf
  // (skipped when empty).
  std::string hostname_path, hosts_path, resolv_conf_path;
  std::string init_path;       // berth-init, bind-mounted at /sbin/docker-init for --init
  std::string shm_path;        // when set, bound at /dev/shm instead of a private tmpfs
                               // (IpcMode shareable / container:<id>, managed by the engine)
  std::string cgroup_parent = "berth";  // HostConfig.CgroupParent wins when set
  std::string netns_mode = "none";      // "none" (new netns), "host", or a netns path to join
  // Namespaces to join by path, keyed by OCI type ("ipc", "pid", "uts", "cgroup"): how the
  // engine implements IpcMode/PidMode "container:<id>". A joined type wins over the mode.
  std::map<std::string, std::string> join_namespaces;
  std::vector<ExtraMount> extra_mounts;  // appended after the defaults (may cover them)
  // Non-empty: the container gets a new user namespace with these mappings
  // (userns-remap); its rootfs must already show the files as the mapped ids.
  std::vector<IdMapping> uid_mappings, gid_mappings;
  HostInfo host;
};

// config.json content, parseable by spec::parse_spec. Errors: InvalidArgument naming the
// HostConfig/Config field and why (the same checks as validate), NotFound for an unknown
// user or group.
Result<nlohmann::json> build_spec(const SpecInput& in);

// The checks Docker makes at create (API 400 on failure), so a bad spec is refused
// before anything is stored, whichever front end made it. host gives the CPU count and
// capability set.
Result<void> validate(const model::ContainerSpec& spec, const HostInfo& host);

// The effective configuration Docker shows in inspect.
struct MergedConfig {
  model::ContainerConfig config;  // request Config with the image's defaults filled in
  std::string path;       // Path: entrypoint[0], or cmd[0]
  std::vector<std::string> args;  // Args: the rest of entrypoint, then cmd
};

// Docker's merge: request Entrypoint/Cmd override the image's (a request Entrypoint drops
// the image's Cmd; Entrypoint [""] resets it), Env = request env then the image's keys the
// request does not set, User/WorkingDir/StopSignal/Labels/Volumes/ExposedPorts/Healthcheck
// default from the image. No command at all -> InvalidArgument "No command specified".
Result<MergedConfig> merge_config(const model::ContainerConfig& request, const model::ContainerConfig& image);

// The environment of the container's process (Docker's CreateDaemonEnvironment): PATH
// default, HOSTNAME, TERM=xterm with a tty, then Config.Env replacing same keys.
std::vector<std::string> process_env(const model::ContainerConfig& config, const std::string& hostname);

// "SIGTERM", "TERM", "term", "15", "SIGRTMIN+3" -> signal number. Unknown -> InvalidArgument.
Result<int> parse_stop_signal(std::string_view s);

// A resolved Config.User ("name", "uid", "uid:gid", "name:group", ...).
struct ResolvedUser {
  uint32_t uid = 0, gid = 0;
  std::vector<uint32_t> additional_gids;  // groups listing the user, then group_add
  std::string home = "/";                 // from passwd (HOME when the env has none)
};

// Looks the user up in ROOTFS/etc/passwd and /etc/group, opened with RESOLVE_IN_ROOT so
// symlinks in the image resolve inside it. Missing files are fine for numeric ids.
// An unknown name -> NotFound "unable to find user x: no matching entries in passwd file".
Result<ResolvedUser> resolve_user(const std::string& rootfs, std::string_view user,
                                  const std::vector<std::string>& group_add = {});

// Docker's default seccomp profile, in Docker's profile format (archMap, includes/excludes).
const nlohmann::json& default_seccomp_profile();

// A Docker-format seccomp profile -> OCI linux.seccomp for a process whose bounding set is
// `caps` ("CAP_..." names) on this host's architecture and kernel. Null JSON when the
// profile disables seccomp (no defaultAction and no syscalls).
Result<nlohmann::json> seccomp_profile_to_oci(const nlohmann::json& profile,
                                              const std::vector<std::string>& caps,
                                              const std::string& kernel_release);

}  // namespace berth::specgen
