// What `run`/`create` flags say (RunOptions, bound by run_flags.h) -> the body
// of POST /containers/create, built as docker-cli 28 builds it
// (cli/command/container/opts.go: create_request.cc), so the daemon sees the
// same Config/HostConfig from berth and from docker.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "cli/template.h"

namespace berth::cli {

struct RunOptions {
  // run only
  bool detach = false;
  bool rm = false;
  std::string detach_keys;
  bool sig_proxy = true;
  // shared by run and create
  bool interactive = false;
  bool tty = false;
  std::string name;
  std::vector<std::string> env, env_files;
  std::string workdir, user, hostname, entrypoint;
  bool entrypoint_set = false;  // --entrypoint "" clears the image's entrypoint
  std::vector<std::string> labels;
  std::string restart;
  bool init = false;
  std::string memory, memory_swap, cpus;
  std::optional<int64_t> cpu_shares, pids_limit, stop_timeout;
  std::string cpuset_cpus;
  std::vector<std::string> ulimits, tmpfs, cap_add, cap_drop, security_opt, attach, add_hosts;
  std::vector<std::string> devices, device_cgroup_rules;  // --device, --device-cgroup-rule
  bool read_only = false, privileged = false;
  std::string stop_signal;
  std::string runtime;  // --runtime: berth (namespaces) or berth-vm / vm (a microVM)
  std::string userns;   // --userns: "host" opts out of berthd's --userns-remap
  // Healthcheck (docker-cli's --health-*; durations as Go writes them, "" = 0s).
  std::string health_cmd, health_interval, health_timeout, health_start_period, health_start_interval;
  int64_t health_retries = 0;
  bool no_healthcheck = false;
  // Networks and volumes (docker-cli's opts.go / opts/network.go / opts/mount.go).
  std::vector<std::string> networks;  // --network/--net: NAME, host, none, container:NAME, or name=N,alias=A,ip=...
  std::vector<std::string> network_aliases;
  std::string ip, ip6;
  std::string mac_address;  // --mac-address: the first network's
  std::vector<std::string> links;  // --link NAME[:ALIAS]
  std::vector<std::string> publish, expose;
  bool publish_all = false;
  std::vector<std::string> volumes, mounts, volumes_from;
  std::string pull = "missing";
  std::string platform;  // for the pull of a missing image
  bool quiet = false;    // no pull progress
  std::string cidfile;
  std::string image;
  std::vector<std::string> command;
  // Terminal size for HostConfig.ConsoleSize when -t and stdout is a terminal.
  std::optional<std::pair<int, int>> console_size;  // rows, columns
};

// Where the builder gets what is outside the flags (tests pass fakes).
struct RunEnvironment {
  std::function<std::optional<std::string>(const std::string&)> getenv;
  std::function<Result<std::string>(const std::string&)> read_file;
  // The working directory, for relative bind sources ("-v ./data:/d"); unset: getcwd().
  std::function<std::string()> cwd = {};

  std::string working_dir() const;  // cwd(), or getcwd() when unset
};
// This process's environment, files and working directory (run_environment.cc).
RunEnvironment process_environment();

struct CreateRequest {
  std::string query;  // "" or "?name=NAME" (URL-encoded)
  Json body;
};

// `detached`: run -d, which attaches nothing (docker-cli run.go).
Result<CreateRequest> build_create_request(const RunOptions& opts, bool detached, const RunEnvironment& env);

// Flag values parsed on the way, exposed for tests and for `update`/`exec`.
struct Ulimit {
  std::string name;
  int64_t soft = 0, hard = 0;
};
Result<Ulimit> parse_ulimit(const std::string& text);

// --device HOST[:CONTAINER][:PERMISSIONS], as the docker CLI reads it.
struct DeviceFlag {
  std::string host, container, permissions;
};
Result<DeviceFlag> parse_device_flag(const std::string& text);
Result<Json> parse_restart_policy(const std::string& text);
// Config.Healthcheck from the --health-* flags: null when none is given.
Result<Json> parse_healthcheck(const RunOptions& o);
Result<std::vector<std::string>> parse_security_opts(const std::vector<std::string>& opts, const RunEnvironment& env);
Result<std::vector<std::string>> read_env_file(const std::string& path, const RunEnvironment& env);

}  // namespace berth::cli
