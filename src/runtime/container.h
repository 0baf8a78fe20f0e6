// The runtime's operations on containers, as a library: berth-runtime's CLI
// calls these, and so can an engine in-process.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "runtime/state.h"
#include "spec/runtime_spec.h"

namespace berth::runtime {

struct RuntimeContext {
  std::string root = "/run/berth-runtime";  // state directories, one per container
};

struct CreateOptions {
  std::string id;
  std::string bundle = ".";
  std::string pid_file;
  std::string console_socket;
  bool no_pivot = false;
  bool no_new_keyring = false;
  int preserve_fds = 0;
  // Set by run in the foreground: with process.terminal and no console
  // socket, the runtime relays the pty itself.
  bool relay_terminal = false;
};

struct ContainerInfo {
  ContainerState state;
  Status status = Status::Stopped;
};

// Sets up the container and leaves its process waiting for start. Returns its pid.
Result<pid_t> create_container(const RuntimeContext& ctx, const CreateOptions& opts);
Result<void> start_container(const RuntimeContext& ctx, const std::string& id);
// create + start; in the foreground waits, forwards signals, deletes the
// container and returns its exit status (128+N when killed by signal N).
Result<int> run_container(const RuntimeContext& ctx, const CreateOptions& opts, bool detach);

Result<ContainerInfo> inspect_container(const RuntimeContext& ctx, const std::string& id);
nlohmann::json oci_state_json(const ContainerInfo& info);
Result<std::vector<ContainerInfo>> list_containers(const RuntimeContext& ctx);

Result<void> kill_container(const RuntimeContext& ctx, const std::string& id, int signal, bool all);
Result<void> delete_container(const RuntimeContext& ctx, const std::string& id, bool force);
Result<void> pause_container(const RuntimeContext& ctx, const std::string& id);
Result<void> resume_container(const RuntimeContext& ctx, const std::string& id);
Result<std::vector<pid_t>> container_pids(const RuntimeContext& ctx, const std::string& id);
Result<nlohmann::json> container_stats(const RuntimeContext& ctx, const std::string& id);
// The container's cgroup directories for a reader outside the runtime:
// {"mode": "v1"|"hybrid"|"v2", "unified": dir (when a cgroup2 holds it),
//  "v1": {controller: dir}} (v1 and hybrid).
Result<nlohmann::json> container_cgroup_dirs(const RuntimeContext& ctx, const std::string& id);
// True once the kernel's OOM killer acted in the container's memory cgroup.
Result<bool> container_oom_killed(const RuntimeContext& ctx, const std::string& id);
Result<void> update_container(const RuntimeContext& ctx, const std::string& id, const spec::Resources& res);

struct ExecOptions {
  spec::Process process;
  std::string console_socket;
  std::string pid_file;
  bool detach = false;
  int preserve_fds = 0;
};
// Returns the exit status (foreground) or 0 once started (detach).
Result<int> exec_in_container(const RuntimeContext& ctx, const std::string& id, const ExecOptions& opts);
// The container's own config.process (the base `exec` builds on).
Result<spec::Process> container_process_spec(const RuntimeContext& ctx, const std::string& id);

// "KILL", "SIGKILL", "9" -> 9.
Result<int> parse_signal(const std::string& name);

}  // namespace berth::runtime
