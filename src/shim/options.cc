#include "shim/options.h"

#include <CLI/CLI.hpp>

namespace berth::shim {

Result<Options> parse_options(int argc, char** argv) {
  Options o;
  std::vector<std::string> log_opts;
  CLI::App app{"berth-shim: monitors one container process (started by berthd)", "berth-shim"};
  app.add_option("--id", o.id, "container id (the runtime's id)")->required();
  app.add_option("--runtime-root", o.runtime_root, "the runtime's state root")->required();
  app.add_option("--state-dir", o.state_dir, "the shim's state directory (exists, empty)");
  auto* bundle = app.add_option("--bundle", o.bundle, "container mode: create and start from this bundle");
  app.add_option("--log-driver", o.log_driver, "json-file, cri or none (container mode)")->needs(bundle);
  app.add_option("--log-path", o.log_path, "the log file of a file driver")->needs(bundle);
  app.add_option("--log-opt", log_opts, "a log driver option KEY=VALUE (repeatable)")->needs(bundle);
  auto* exec = app.add_option("--exec-process", o.exec_process, "exec mode: spec::Process JSON file to run in --id");
  bundle->excludes(exec);
  app.add_flag("--tty", o.tty, "the process has a terminal (process.terminal)");
  app.add_flag("--stdin", o.open_stdin, "keep the process's stdin open for Stdin frames");
  auto* vm = app.add_option("--vm-runner", o.vm_runner, "VM mode: berth-vm-runner runs the container in a microVM");
  app.add_option("--vm-arg", o.vm_args, "an argument for berth-vm-runner (repeatable)")->needs(vm);
  app.add_option("--output-stall-ms", o.output_stall_ms,
                 "drop a stdio connection that takes no output for this long while output waits for it")
      ->check(CLI::Range(1, 24 * 3600 * 1000));
  auto* cleanup = app.add_flag("--cleanup", o.cleanup, "delete what is left of container --id (its shim is gone)");
  cleanup->excludes(bundle)->excludes(exec)->excludes(vm);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return fail(Errc::InvalidArgument, std::string("berth-shim: ") + e.what());
  }
  for (const auto& kv : log_opts) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0)
      return fail(Errc::InvalidArgument, "berth-shim: --log-opt " + kv + ": expected KEY=VALUE");
    o.log_options[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  if (o.cleanup) return o;
  if (o.state_dir.empty()) return fail(Errc::InvalidArgument, "berth-shim: --state-dir is required");
  if (o.bundle.empty() && o.exec_process.empty())
    return fail(Errc::InvalidArgument, "berth-shim: one of --bundle or --exec-process is required");
  return o;
}

}  // namespace berth::shim
