// The resolved Compose project: what `berth compose` acts on once the files
// are loaded, interpolated, merged, extended, filtered by profile, normalized
// and validated (compose-go's types.Project, as Compose v2 uses it).
//
// Everything here is resolved: short syntaxes are expanded to the long ones,
// relative paths are absolute, env_file is folded into environment, durations
// are nanoseconds and sizes bytes. A field left unset in the files stays unset
// (std::nullopt / empty) so the engine can apply Docker's own default.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace berth::compose {

// `x-*` keys, kept with their (interpolated) values.
using Extensions = std::map<std::string, nlohmann::json>;
// KEY=VALUE maps where a key may come without a value (`environment: [FOO]`,
// build args): nullopt means "take it from the caller's environment, if set".
using OptionalValueMap = std::map<std::string, std::optional<std::string>>;
using StringMap = std::map<std::string, std::string>;
using Nanoseconds = int64_t;  // Go time.Duration
using Bytes = int64_t;        // go-units RAMInBytes

struct ExtraHost {
  std::string host;
  std::string ip;
  bool operator==(const ExtraHost&) const = default;
};

struct BuildConfig {
  std::string context;  // absolute path, or a URL (git, http) kept as written
  std::string dockerfile;
  std::string dockerfile_inline;
  OptionalValueMap args;
  std::string target;
  StringMap labels;
  std::string network;
  std::vector<ExtraHost> extra_hosts;
  std::optional<Bytes> shm_size;
  std::vector<std::string> cache_from;
  std::vector<std::string> cache_to;
  std::vector<std::string> platforms;
  std::vector<std::string> tags;
  std::optional<bool> pull;
  std::optional<bool> no_cache;
  Extensions extensions;
};

// command / entrypoint. A string in the file is split into words as compose-go
// does (shellwords), not wrapped in `/bin/sh -c`; shell_form records that it
// was a string.
struct CommandLine {
  std::vector<std::string> args;
  bool shell_form = false;
};

// A port in its long syntax; a short "HOST:CONTAINER" range becomes one entry
// per container port, as compose-go does.
struct PortConfig {
  std::string name;
  std::string mode;  // "ingress" unless said otherwise (compose-go's default)
  std::string host_ip;
  uint32_t target = 0;
  std::string published;  // "8080", "8000-8010", or "" (an ephemeral port)
  std::string protocol;   // "tcp" unless said otherwise
  std::string app_protocol;
  Extensions extensions;
};

struct VolumeMount {
  std::string type;    // "volume", "bind", "tmpfs", "npipe", "image" or "cluster"
  std::string source;  // volume name, absolute host path, or "" (anonymous / tmpfs)
  std::string target;
  bool read_only = false;
  std::string consistency;
  struct Bind {
    std::string propagation;
    std::optional<bool> create_host_path;  // true for short-syntax binds
    std::string selinux;                   // "z" or "Z"
  };
  struct Volume {
    bool nocopy = false;
    std::string subpath;
  };
  struct Tmpfs {
    std::optional<Bytes> size;
    std::optional<uint32_t> mode;
  };
  std::optional<Bind> bind;
  std::optional<Volume> volume;
  std::optional<Tmpfs> tmpfs;
  Extensions extensions;
};

struct ServiceNetwork {
  std::vector<std::string> aliases;
  std::string ipv4_address;
  std::string ipv6_address;
  std::vector<std::string> link_local_ips;
  std::string mac_address;
  std::optional<int> priority;
  Extensions extensions;
};

struct Dependency {
  std::string condition = "service_started";  // service_healthy, service_completed_successfully
  bool restart = false;
  bool required = true;
  Extensions extensions;
};

struct Healthcheck {
  std::vector<std::string> test;  // ["CMD", ...], ["CMD-SHELL", "..."] or ["NONE"]
  std::optional<Nanoseconds> interval;
  std::optional<Nanoseconds> timeout;
  std::optional<uint64_t> retries;
  std::optional<Nanoseconds> start_period;
  std::optional<Nanoseconds> start_interval;
  bool disable = false;
  Extensions extensions;
};

struct Resource {
  std::optional<double> cpus;
  std::optional<Bytes> memory;
  std::optional<int64_t> pids;
};

struct RestartPolicy {
  std::string condition;
  std::optional<Nanoseconds> delay;
  std::optional<uint64_t> max_attempts;
  std::optional<Nanoseconds> window;
};

struct Deploy {
  std::string mode;
  std::optional<int> replicas;
  StringMap labels;
  std::optional<Resource> limits;
  std::optional<Resource> reservations;
  std::optional<RestartPolicy> restart_policy;
  Extensions extensions;
};

struct Logging {
  std::string driver;
  StringMap options;
};

struct Ulimit {
  std::optional<int64_t> single;  // `nofile: 1024` (soft = hard)
  int64_t soft = 0;
  int64_t hard = 0;
};

// A service's reference to a top-level config or secret.
struct FileReference {
  std::string source;
  std::string target;  // configs: "/<source>" by default; secrets: "/run/secrets/<source>"
  std::string uid;
  std::string gid;
  std::optional<uint32_t> mode;
  Extensions extensions;
};

struct DeviceMapping {
  std::string source;
  std::string target;
  std::string permissions;  // "rwm" when not given
};

struct Service {
  std::string name;
  std::vector<std::string> profiles;

  std::string image;
  std::optional<BuildConfig> build;
  std::string pull_policy;
  std::string platform;
  std::string container_name;

  std::optional<CommandLine> command;     // unset: the image's CMD
  std::optional<CommandLine> entrypoint;  // unset: the image's; set and empty: none
  OptionalValueMap environment;           // env_file entries folded in, environment wins
  StringMap labels;
  StringMap annotations;
  std::string user;
  std::string working_dir;
  std::string hostname;
  std::string domainname;

  std::vector<PortConfig> ports;
  std::vector<std::string> expose;
  std::vector<VolumeMount> volumes;
  std::vector<std::string> volumes_from;
  std::vector<std::string> tmpfs;
  std::map<std::string, std::optional<ServiceNetwork>> networks;  // nullopt: attached, no options
  std::string network_mode;
  std::string ipc;
  std::string pid;
  std::vector<std::string> links;
  std::vector<std::string> external_links;
  std::string mac_address;

  std::map<std::string, Dependency> depends_on;
  std::optional<Healthcheck> healthcheck;
  std::string restart;
  std::optional<Deploy> deploy;
  std::optional<int> scale;
  std::optional<bool> init;
  std::optional<Nanoseconds> stop_grace_period;
  std::string stop_signal;

  std::vector<std::string> cap_add;
  std::vector<std::string> cap_drop;
  bool privileged = false;
  std::vector<std::string> security_opt;
  std::vector<DeviceMapping> devices;
  std::vector<std::string> device_cgroup_rules;  // "c 1:3 rwm"
  std::vector<std::string> group_add;
  bool read_only = false;
  bool tty = false;
  bool stdin_open = false;

  std::vector<ExtraHost> extra_hosts;
  std::vector<std::string> dns;
  std::vector<std::string> dns_search;
  std::vector<std::string> dns_opt;
  StringMap sysctls;
  std::map<std::string, Ulimit> ulimits;
  std::optional<Bytes> shm_size;
  // The legacy (non-deploy) resource keys, as written.
  std::optional<Bytes> mem_limit;
  std::optional<Bytes> mem_reservation;
  std::optional<Bytes> memswap_limit;
  std::optional<double> cpus;
  std::optional<int64_t> cpu_shares;
  std::optional<int64_t> pids_limit;
  std::optional<int64_t> cpu_quota, cpu_period;  // microseconds
  std::string cpuset;                            // CpusetCpus, "0-1"
  std::optional<int64_t> mem_swappiness;
  std::optional<bool> oom_kill_disable;
  std::optional<int64_t> oom_score_adj;
  std::string cgroup_parent;
  std::string runtime;      // berth, or berth-vm / vm for a microVM
  std::string userns_mode;  // "host": not remapped under --userns-remap
  std::string uts;          // "host"
  std::optional<Logging> logging;

  std::vector<FileReference> configs;
  std::vector<FileReference> secrets;
  Extensions extensions;
};

struct IpamPool {
  std::string subnet;
  std::string ip_range;
  std::string gateway;
  StringMap aux_addresses;
};

struct NetworkConfig {
  std::string name;  // "<project>_<key>" unless given (or external: the key)
  std::string driver;
  StringMap driver_opts;
  struct Ipam {
    std::string driver;
    std::vector<IpamPool> config;
    StringMap options;
  };
  std::optional<Ipam> ipam;
  bool external = false;
  bool internal = false;
  std::optional<bool> attachable;
  std::optional<bool> enable_ipv6;
  StringMap labels;
  Extensions extensions;
};

struct VolumeConfig {
  std::string name;  // "<project>_<key>" unless given (or external: the key)
  std::string driver;
  StringMap driver_opts;
  bool external = false;
  StringMap labels;
  Extensions extensions;
};

// A top-level config or secret: from a file, the environment or inline content.
struct FileObjectConfig {
  std::string name;  // "<project>_<key>" unless given
  std::string file;  // absolute
  std::string environment;
  std::string content;
  bool external = false;
  StringMap labels;
  std::string driver;
  std::string template_driver;
  Extensions extensions;
};

struct Project {
  std::string name;         // normalized: lowercase [a-z0-9_-], starts with a letter or digit
  std::string working_dir;  // absolute: the project directory
  std::vector<std::string> config_files;  // absolute paths, in the order merged
  std::map<std::string, Service> services;           // the enabled ones, by name
  std::map<std::string, Service> disabled_services;  // off by profile
  std::map<std::string, NetworkConfig> networks;
  std::map<std::string, VolumeConfig> volumes;
  std::map<std::string, FileObjectConfig> configs;
  std::map<std::string, FileObjectConfig> secrets;
  std::vector<std::string> profiles;  // the active ones (--profile, COMPOSE_PROFILES)
  StringMap environment;              // what interpolation saw: the caller's, then .env
  Extensions extensions;
  std::vector<std::string> warnings;  // for the user, in Compose's words (unset variables, `version`)
};

}  // namespace berth::compose
