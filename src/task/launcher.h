// The daemon's side of berth-shim: spawn a shim for a container (or for an
// exec in one), find a running shim again after a daemon restart, and read
// what a shim left behind when it is gone.
//
// Files in a shim's state dir (owned by the shim; the daemon only reads them):
//   shim.sock  the shim's listening socket (see shimproto/protocol.h)
//   shim.pid   the shim's pid and start time: "PID START_TIME\n"
//   pid        the container process's pid (host pid namespace)
//   exit.json  ExitStatus, written atomically once the process has exited
//   shim.log   the shim's stderr (its warnings and errors), opened by launch()
//   process.json  exec mode: the process to run, written by launch()
//   console.sock  with a terminal, while the runtime hands over the pty master
//
// berth-shim's command line: src/shim/options.h.
#pragma once

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"
#include "shimproto/protocol.h"

namespace berth::task {

class ShimStandby;

struct LaunchOptions {
  std::string shim_binary;   // path of berth-shim
  std::string id;            // the container's id (the runtime's id too)
  std::string runtime_root;  // the runtime's state root
  std::string state_dir;     // created by the caller, empty
  bool tty = false;          // process.terminal in the spec: output comes from a pty
  bool open_stdin = false;   // keep a stdin pipe (or the pty) the daemon can write to

  // Container mode: create + start the container from bundle/config.json.
  std::string bundle;
  std::string log_driver = "none";                 // logs::open_log_writer's drivers
  std::string log_path;                            // the file of a file driver
  std::map<std::string, std::string> log_options;  // --log-opt KEY=VALUE
  std::vector<std::string> extra_args;  // appended in either mode (VM mode: --vm-runner ...)

  // Exec mode (when set): run this spec::Process (as JSON) in the running
  // container `id` instead of creating one. No log file.
  std::string exec_process_json;
};

struct ShimHandle {
  pid_t shim_pid = 0;
  pid_t pid = 0;   // the container's (or exec's) process
  UniqueFd conn;   // the daemon's connection (the shim's inherited fd 3)
};

// Starts berth-shim for opts and returns once the process runs: the idle
// shim of `standby` when it has one for opts.shim_binary, else one spawned
// now (posix_spawn: nothing runs between fork and exec in a multi-threaded
// daemon; in its own session so it outlives the daemon; fd 3 is its only
// inherited fd). The caller reaps shim_pid (waitpid) once the connection
// reports Exited or closes. Failure to start comes back as the Failed frame's
// error: NotFound for an executable that does not exist, PermissionDenied
// when it cannot be executed, else Internal/InvalidArgument.
Result<ShimHandle> launch_shim(const LaunchOptions& opts, ShimStandby* standby = nullptr);

// Connects to a running shim's socket (after a daemon restart, or for
// requests): Unavailable when the shim is gone.
Result<UniqueFd> connect_shim(const std::string& state_dir);

// The exit status a finished shim recorded; nullopt when there is none yet.
Result<std::optional<shimproto::ExitStatus>> read_exit_file(const std::string& state_dir);

// True when the shim recorded in state_dir/shim.pid is still alive (pid and
// start time match).
bool shim_alive(const std::string& state_dir);

// `berth-shim --cleanup`: deletes what is left of container id in the
// runtime (processes, cgroups, state) once its shim is gone; its messages go
// to log_file. Success when nothing was left.
Result<void> run_shim_cleanup(const std::string& shim_binary, const std::string& id, const std::string& runtime_root,
                              const std::string& log_file);

}  // namespace berth::task
