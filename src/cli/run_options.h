// `run`/`create` flags -> the body of POST /containers/create, built as
// docker-cli 28 builds it (cli/command/container/opts.go), so the daemon sees
// the same Config/HostConfig from berth and from docker.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

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
  std::vector<std::string> ulimits, tmpfs, cap_add, cap_drop, security_opt, attach;
  bool read_only = false, privileged = false;
  std::string stop_signal;
  // Networks and volumes (docker-cli's opts.go / opts/network.go / opts/mount.go).
  std::vector<std::string> networks;  // --network/--net: NAME, host, none, container:NAME, or name=N,alias=A,ip=...
  std::vector<std::string> network_aliases;
  std::string ip, ip6;
  std::vector<std::string> publish, expose;
  bool publish_all = false;
  std::vector<std::string> volumes, mounts, volumes_from;
  std::string pull = "missing";
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
};
RunEnvironment process_environment();

struct CreateRequest {
  std::string query;  // "" or "?name=NAME" (URL-encoded)
  Json body;
};

// `detached`: run -d, which attaches nothing (docker-cli run.go).
Result<CreateRequest> build_create_request(const RunOptions& opts, bool detached, const RunEnvironment& env);

// Pieces, exposed for tests and for `update`.
struct Ulimit {
  std::string name;
  int64_t soft = 0, hard = 0;
};
Result<Ulimit> parse_ulimit(const std::string& text);
Result<Json> parse_restart_policy(const std::string& text);
Result<std::vector<std::string>> parse_security_opts(const std::vector<std::string>& opts, const RunEnvironment& env);
Result<std::vector<std::string>> read_env_file(const std::string& path, const RunEnvironment& env);
std::string url_encode(std::string_view s);

// The -p/--publish ... --volumes-from flags of run and create (registered by
// container_run.cc's add_run_flags).
void add_network_volume_flags(CLI::App* app, RunOptions& o);

// Go's encoding/csv for one line: "a,\"b,c\"" -> {"a", "b,c"}.
Result<std::vector<std::string>> csv_fields(std::string_view line);
// Go's filepath.Abs (Join with cwd, then Clean).
std::string absolute_path(const std::string& path, const std::string& cwd);
// One --mount value -> a HostConfig.Mounts entry (docker's JSON, omitempty).
Result<Json> parse_mount(const std::string& spec, const RunEnvironment& env);

// One --network value (docker-cli's NetworkAttachmentOpts).
struct NetworkAttachment {
  std::string target;
  std::vector<std::string> aliases, links;
  std::string ipv4, ipv6;
  std::vector<std::pair<std::string, std::string>> driver_opts;
};
Result<NetworkAttachment> parse_network_opt(const std::string& value);
// "default", "bridge", "host", "none" and "container:..." are not user-defined.
bool user_defined_network(const std::string& mode);
// An EndpointSettings object with every field docker-cli sends.
Json endpoint_settings(Json ipam, Json links, Json aliases, Json driver_opts);

// network create / connect / disconnect and volume create: the request bodies.
struct NetworkCreateOptions {
  std::string name, driver = "bridge", scope, ipam_driver = "default", config_from;
  std::optional<bool> ipv6;
  bool internal = false, attachable = false, ingress = false, config_only = false;
  std::vector<std::string> subnets, ip_ranges, gateways, aux_addresses, ipam_opts, opts, labels;
};
Result<Json> build_network_create(const NetworkCreateOptions& o);
struct NetworkConnectOptions {
  std::string network, container, ip, ip6;
  std::vector<std::string> aliases, links, link_local_ips, driver_opts;
};
Result<Json> build_network_connect(const NetworkConnectOptions& o);
struct VolumeCreateOptions {
  std::string name, driver = "local";
  std::vector<std::string> opts, labels;
};
Json build_volume_create(const VolumeCreateOptions& o);
// "k=v" flags -> a JSON object with Go's sorted map order ("k" alone -> "").
Json string_map(const std::vector<std::string>& pairs);
// JSON text without insignificant whitespace (Go's json.Compact).
Result<std::string> compact_json(std::string_view raw);

}  // namespace berth::cli
