// berth-runtime: wires the runc-compatible command line to the runtime library.
#include <fcntl.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "base/log.h"
#include "cli.h"
#include "runtime/default_spec.h"

using namespace berth;

namespace {

// runc stops reading flags at the container id of `exec` and `ps`: what
// follows is the command (`exec ID sh -c ...`) or ps's own options. Mark that
// point with "--" so that CLI11 reads the rest as positionals.
std::vector<std::string> mark_end_of_flags(int argc, char** argv) {
  static const std::set<std::string> kValueOptions = {
      "-p", "--process", "-e", "--env", "--cwd", "-u", "--user", "-g", "--additional-gids", "-c", "--cap",
      "--pid-file", "--console-socket", "--preserve-fds", "--apparmor", "--process-label", "-f", "--format",
      "--root", "--log", "--log-format", "--rootless", "--criu"};
  std::vector<std::string> out(argv, argv + argc);
  bool in_cmd = false;
  for (size_t i = 1; i < out.size(); ++i) {
    const std::string& a = out[i];
    if (a == "--") break;
    if (!in_cmd) {
      if (a == "exec" || a == "ps") in_cmd = true;
      else if (kValueOptions.count(a)) ++i;
      continue;
    }
    if (a.size() > 1 && a[0] == '-') {
      if (kValueOptions.count(a)) ++i;
      continue;
    }
    out.insert(out.begin() + static_cast<long>(i) + 1, "--");
    break;
  }
  return out;
}

// The subcommand named on the command line, or "" (then all are registered).
cli::Wanted wanted_command(const std::vector<std::string>& args) {
  static const std::set<std::string> kGlobalValueOptions = {"--root", "--log", "--log-format", "--rootless", "--criu"};
  static const std::set<std::string> kCommands = {"create", "run", "start", "delete", "kill", "state", "list",
                                                  "pause", "resume", "exec", "ps", "events", "update", "spec",
                                                  "features"};
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help" || a == "-v" || a == "--version") return {};
    if (kGlobalValueOptions.count(a)) {
      ++i;
      continue;
    }
    if (!a.empty() && a[0] == '-') continue;
    if (a == "ls") return {"list"};
    return {kCommands.count(a) ? a : ""};
  }
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  // Nothing inside a container may open this process through /proc/PID/exe,
  // fd or mem while it works in the container's namespaces (CVE-2019-5736):
  // non-dumpable processes need CAP_SYS_PTRACE in our user namespace.
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);

  CLI::App app{"berth-runtime: an OCI container runtime (runc-compatible command line)", "berth-runtime"};
  app.require_subcommand(1);
  app.set_version_flag("-v,--version",
                       std::string("berth-runtime version ") + "0.1.0" + "\nspec: " + runtime::kOciVersion);
  cli::Globals g;
  app.add_option("--root", g.ctx.root, "directory for container state")->capture_default_str();
  app.add_option("--log", g.log_path, "log file (default: stderr)");
  app.add_option("--log-format", g.log_format, "log format: text or json")->check(CLI::IsMember({"text", "json"}));
  app.add_flag("--debug", g.debug, "debug logging");
  app.add_flag("--systemd-cgroup", g.systemd_cgroup, "use systemd for cgroups (not supported)");
  app.add_option("--rootless", g.rootless, "ignored: berth-runtime detects rootless mode");
  app.add_option("--criu", "ignored: checkpoint/restore is not supported");

  auto args = mark_end_of_flags(argc, argv);
  cli::Wanted want = wanted_command(args);
  cli::Action action;
  cli::add_lifecycle_commands(app, g, action, want);
  cli::add_exec_command(app, g, action, want);
  cli::add_info_commands(app, g, action, want);

  try {
    std::vector<const char*> cargs;
    for (const auto& a : args) cargs.push_back(a.c_str());
    app.parse(static_cast<int>(cargs.size()), const_cast<char**>(cargs.data()));
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  int log_fd = -1;
  if (!g.log_path.empty()) log_fd = ::open(g.log_path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  log::configure(log_fd, g.log_format == "json" ? log::Format::Json : log::Format::Text,
                 g.debug ? log::Level::Debug : log::Level::Warn);

  auto result = action();
  if (!result) {
    std::string msg = result.error().str();
    log::error("{}", msg);
    // Callers read stderr (Podman) or the log file (containerd): give both.
    if (log_fd >= 0 || g.log_format != "text") std::fprintf(stderr, "berth-runtime: %s\n", msg.c_str());
    return 1;
  }
  return *result;
}
