// `berth compose`: the group, its global flags (-f, -p, --project-directory,
// --env-file, --profile) and what each command file shares: loading the
// project, the engine over the API, and Compose v2's progress lines.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/compose_api_engine.h"
#include "cli/compose_project.h"
#include "compose/model.h"
#include "compose_ops/executor.h"

namespace berth::cli {

// The group's flags: compose_project.h's (-f, -p, ...) and the ones only
// the operations read.
struct ComposeGlobals {
  const ComposeFlags* project = nullptr;
  std::string ansi = "auto", progress = "auto";
  int64_t parallel = -1;
};

// One command's run: the loaded project, the engine and an executor over it.
// The project lives on the heap: the executor keeps a reference to it, and
// the session moves.
struct ComposeSession {
  explicit ComposeSession(compose::Project p)
      : owned(std::make_unique<compose::Project>(std::move(p))), project(*owned) {}
  std::unique_ptr<compose::Project> owned;
  compose::Project& project;
  std::unique_ptr<ComposeApiEngine> engine;
  std::unique_ptr<compose_ops::Executor> executor;
};

Result<ComposeSession> open_compose_session(Cli& cli, const ComposeGlobals& globals, bool quiet_progress = false);

// " Container proj-web-1  Started" on stderr, as Compose v2's plain progress.
compose_ops::Reporter compose_progress(bool quiet = false);

// The services named on the command line (all when none), NotFound for an unknown one.
Result<std::set<std::string>> named_services(const compose::Project& project, const std::vector<std::string>& names);

using ComposeGlobalsPtr = std::shared_ptr<ComposeGlobals>;

// The operations' flags and commands on the `compose` group (compose_session.cc); one function per file of commands.
void add_compose_operations(Invocation& inv, CLI::App* group, const ComposeFlags& flags);
void add_compose_up_down(Invocation& inv, CLI::App* group, const ComposeGlobalsPtr& globals);
void add_compose_listing(Invocation& inv, CLI::App* group, const ComposeGlobalsPtr& globals);  // ps images top port
void add_compose_logs(Invocation& inv, CLI::App* group, const ComposeGlobalsPtr& globals);
void add_compose_exec_run(Invocation& inv, CLI::App* group, const ComposeGlobalsPtr& globals);
void add_compose_lifecycle(Invocation& inv, CLI::App* group, const ComposeGlobalsPtr& globals);
void add_compose_images_io(Invocation& inv, CLI::App* group, const ComposeGlobalsPtr& globals);  // build pull push
void add_compose_events(Invocation& inv, CLI::App* group, const ComposeGlobalsPtr& globals);
void add_compose_cp(Invocation& inv, CLI::App* group, const ComposeGlobalsPtr& globals);
// ls and version, which read no compose file (compose_ls.cc).
void add_compose_ls_version(Invocation& inv, CLI::App* group);

}  // namespace berth::cli
