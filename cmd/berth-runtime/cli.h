// berth-runtime's command line: runc's verbs and flags, so that Docker
// (containerd-shim), Podman (conmon) and others can use it unchanged.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>

#include "base/error.h"
#include "runtime/container.h"

namespace berth::cli {

struct Globals {
  runtime::RuntimeContext ctx;
  std::string log_path;
  std::string log_format = "text";
  bool debug = false;
  bool systemd_cgroup = false;
  std::string rootless = "auto";
};

// A parsed command: runs and returns the process exit status.
using Action = std::function<Result<int>()>;

// Which subcommands to register: building all of CLI11's options costs more
// than the rest of a `start`, so main registers only the one on the command
// line (all of them for --help or a mistyped name).
struct Wanted {
  std::string name;  // empty: all
  bool operator()(const char* cmd) const { return name.empty() || name == cmd; }
};

void add_lifecycle_commands(CLI::App& app, Globals& g, Action& action, const Wanted& want);
void add_exec_command(CLI::App& app, Globals& g, Action& action, const Wanted& want);
void add_info_commands(CLI::App& app, Globals& g, Action& action, const Wanted& want);

// The flag is accepted for compatibility but cannot be honoured here.
Result<void> refuse_systemd_cgroup(const Globals& g);

}  // namespace berth::cli
