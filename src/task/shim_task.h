// The Task interface for namespace containers: one berth-shim per container
// and one per exec (task/launcher.h), which run the OCI runtime library
// in-process. Requests (kill, pause, update, pids, stats...) go to the shim
// (shimproto/request.h); the daemon never calls the runtime library.
//
// State, one directory per task (config.state_root/<id>): the shim's files
// (launcher.h), task.json (the bundle, for exec after a restart) and
// exec/<exec id>/ for each running exec's shim (removed when the exec ends).
//
// Threads: each task and each exec has one thread that follows its shim and
// calls the listener. Destroying a Task or Process before its process exited
// stops following it, as disconnect() does (the shim carries on); call
// release() after on_exit to remove the state. disconnect() does not wait for
// an on_output already running.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "task/shim_standby.h"
#include "task/task.h"

namespace berth::task {

struct ShimTaskRuntimeConfig {
  std::string shim_binary;   // berth-shim
  std::string runtime_root;  // the OCI runtime library's state root
  std::string state_root;    // tasks' state directories (created when missing)
  // Keep one shim started ahead of need (shim_standby.h): berthd does.
  bool standby_shim = false;
  // The runtime's name (HostConfig.Runtime), and what its container shims
  // get beyond the usual (berth-vm: --vm-runner ...; see vm/runner.h).
  std::string name = "berth";
  std::vector<std::string> container_shim_args, exec_shim_args;
  // Called before a container's shim starts: may add to its arguments and
  // returns a token held until the start returned (berth-vm's pool of booted
  // VMs, vm/pool.h: the claim stays the daemon's until the runner adopted it).
  std::function<std::shared_ptr<void>(const CreateRequest&, std::vector<std::string>& args)> prepare_container;
};

class ShimTaskRuntime final : public TaskRuntime {
 public:
  explicit ShimTaskRuntime(ShimTaskRuntimeConfig config);
  ~ShimTaskRuntime() override;

  // config.name ("berth" by default)
  const std::string& name() const override;
  // Spawns the shim and returns once the process runs (one round trip: the
  // shim's Started). request.log: validated by the engine, checked again by
  // the shim (logs::validate_log_config).
  Result<std::unique_ptr<Task>> start(const CreateRequest& request,
                                      std::shared_ptr<ProcessListener> listener) override;
  Result<Reattached> reattach(const std::string& id, std::shared_ptr<ProcessListener> listener) override;
  bool exists(const std::string& id) override;
  // A shim still alive is asked to kill the container and waited for; one
  // that died without recording an exit has the runtime's leftovers deleted
  // (berth-shim --cleanup). Then the state directory goes.
  void cleanup(const std::string& id) override;

  std::string state_dir(const std::string& id) const;

 private:
  std::shared_ptr<const ShimTaskRuntimeConfig> config_;
  std::shared_ptr<ShimStandby> standby_;  // shared with the tasks, for their execs
};

}  // namespace berth::task
