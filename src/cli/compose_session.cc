// What the `berth compose` operations share: the session (project, engine,
// executor), Compose v2's progress lines, and their registration.
#include <cstdlib>
#include <mutex>

#include <fmt/format.h>

#include "cli/compose_cli.h"
#include "compose_ops/plan.h"

namespace berth::cli {

Result<ComposeSession> open_compose_session(Cli& cli, const ComposeGlobals& globals, bool quiet_progress) {
  ComposeSession s(TRY(load_compose_project(*globals.project)));
  quiet_progress = quiet_progress || globals.progress == "quiet";
  s.engine = std::make_unique<ComposeApiEngine>(cli, quiet_progress);
  size_t parallel = globals.parallel > 0 ? static_cast<size_t>(globals.parallel) : 8;
  if (const char* env = ::getenv("COMPOSE_PARALLEL_LIMIT"); env && std::atoi(env) > 0) parallel = std::atoi(env);
  s.executor = std::make_unique<compose_ops::Executor>(*s.engine, s.project, compose_progress(quiet_progress), parallel);
  return s;
}

compose_ops::Reporter compose_progress(bool quiet) {
  auto mu = std::make_shared<std::mutex>();
  return [mu, quiet](std::string_view kind, const std::string& name, std::string_view status) {
    if (quiet) return;
    std::string line = fmt::format(" {} {}  {}\n", kind, name, status);
    std::lock_guard lock(*mu);
    err(line);
  };
}

Result<std::set<std::string>> named_services(const compose::Project& project, const std::vector<std::string>& names) {
  return compose_ops::select_services(project, names, false);
}

void add_compose_operations(Invocation& inv, CLI::App* g, const ComposeFlags& flags) {
  auto globals = std::make_shared<ComposeGlobals>();
  globals->project = &flags;
  add_string(g, "--ansi", globals->ansi, "Control when to print ANSI control characters (\"never\"|\"always\"|\"auto\") (default \"auto\")");
  add_string(g, "--progress", globals->progress, "Set type of progress output (auto, tty, plain, json, quiet) (default \"auto\")");
  add_int(g, "--parallel", globals->parallel, "Control max parallelism, -1 for unlimited (default -1)");
  add_compose_up_down(inv, g, globals);
  add_compose_listing(inv, g, globals);
  add_compose_logs(inv, g, globals);
  add_compose_exec_run(inv, g, globals);
  add_compose_lifecycle(inv, g, globals);
  add_compose_images_io(inv, g, globals);
  add_compose_events(inv, g, globals);
  add_compose_cp(inv, g, globals);
}

}  // namespace berth::cli
