// `berth compose`: the group, its global flags, and its commands. Each
// command lives in a compose_<verb>.cc of its own and is registered here.
#include "cli/command.h"
#include "cli/compose_cli.h"
#include "cli/compose_project.h"

namespace berth::cli {

void add_compose_config_command(Invocation& inv, CLI::App* group, const ComposeFlags& flags);

void add_compose_commands(Invocation& inv, CLI::App* group) {
  static ComposeFlags flags;  // parsed before the subcommand runs; one invocation per process
  add_compose_flags(group, flags);
  add_compose_config_command(inv, group, flags);
  add_compose_operations(inv, group, flags);  // up, down, ps, logs, exec, run, ... (compose_session.cc)
  add_compose_ls_version(inv, group);
}

}  // namespace berth::cli
