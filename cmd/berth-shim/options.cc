#include "options.h"

#include <CLI/CLI.hpp>

namespace berth::shim {

Result<Options> parse_options(int argc, char** argv) {
  Options o;
  CLI::App app{"berth-shim: monitors one container process (started by berthd)", "berth-shim"};
  app.add_option("--id", o.id, "container id (the runtime's id)")->required();
  app.add_option("--runtime-root", o.runtime_root, "the runtime's state root")->required();
  app.add_option("--state-dir", o.state_dir, "the shim's state directory (exists, empty)")->required();
  auto* bundle = app.add_option("--bundle", o.bundle, "container mode: create and start from this bundle");
  app.add_option("--log-path", o.log_path, "json-file log (container mode)")->needs(bundle);
  app.add_option("--log-max-size", o.log_max_size, "rotate the log past this many bytes (0: never)");
  app.add_option("--log-max-files", o.log_max_files, "log files kept, the current one included")
      ->check(CLI::Range(1, 1000));
  auto* exec = app.add_option("--exec-process", o.exec_process, "exec mode: spec::Process JSON file to run in --id");
  bundle->excludes(exec);
  app.add_flag("--tty", o.tty, "the process has a terminal (process.terminal)");
  app.add_flag("--stdin", o.open_stdin, "keep the process's stdin open for Stdin frames");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return fail(Errc::InvalidArgument, std::string("berth-shim: ") + e.what());
  }
  if (o.bundle.empty() && o.exec_process.empty())
    return fail(Errc::InvalidArgument, "berth-shim: one of --bundle or --exec-process is required");
  return o;
}

}  // namespace berth::shim
