// `run`/`create` flags -> the body of POST /containers/create, built as
// docker-cli 28 builds it (cli/command/container/opts.go), so the daemon sees
// the same Config/HostConfig from berth and from docker.
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
  std::vector<std::string> ulimits, tmpfs, cap_add, cap_drop, security_opt, attach;
  bool read_only = false, privileged = false;
  std::string stop_signal;
  std::string network;
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
// JSON text without insignificant whitespace (Go's json.Compact).
Result<std::string> compact_json(std::string_view raw);

}  // namespace berth::cli
