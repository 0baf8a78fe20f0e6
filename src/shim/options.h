// berth-shim's command line (task/launcher.h is its only caller):
//   berth-shim --id ID --runtime-root DIR --state-dir DIR [--tty] [--stdin]
//     --bundle DIR [--log-driver NAME [--log-path FILE] [--log-opt KEY=VALUE]...]  container mode
//     --exec-process FILE                                                          exec mode
//   berth-shim --id ID --runtime-root DIR --cleanup                                cleanup mode
//   berth-shim --standby        started ahead of need: the command line comes later (standby.h)
// Container mode creates and starts the container from the bundle; exec mode
// runs a process in the running container ID; cleanup mode deletes what is
// left of container ID after its shim died (containerd's `shim delete`).
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "logs/log_writer.h"

namespace berth::shim {

struct Options {
  std::string id;
  std::string runtime_root;
  std::string state_dir;
  // Container mode.
  std::string bundle;
  std::string log_driver = std::string(logs::kNone);
  std::string log_path;
  logs::LogOptions log_options;
  // Exec mode: a file holding the spec::Process JSON.
  std::string exec_process;
  bool tty = false;
  bool open_stdin = false;
  // Cleanup mode.
  bool cleanup = false;
  // VM mode (with container mode): the process is berth-vm-runner, given
  // vm_args and the bundle; requests go to its control socket (vm/control.h).
  std::string vm_runner;
  std::vector<std::string> vm_args;
  // A stdio connection that takes none of the output it holds back for this
  // long is dropped (a hung daemon must not stop its containers for ever).
  int output_stall_ms = 30000;

  bool exec_mode() const { return !exec_process.empty(); }
  bool vm_mode() const { return !vm_runner.empty(); }
};

Result<Options> parse_options(int argc, char** argv);

}  // namespace berth::shim
