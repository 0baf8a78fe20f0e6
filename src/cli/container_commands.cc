// Which container verbs exist where: at the top level (docker's shortcuts)
// and under `berth container` (where ls/list/ps, inspect and prune live).
#include "cli/command.h"
#include "cli/inspect.h"

namespace berth::cli {

void add_lifecycle_commands(Invocation& inv, CLI::App* parent);
void add_io_commands(Invocation& inv, CLI::App* parent);
void add_ps(Invocation& inv, CLI::App* parent, const std::string& name);
void add_stats(Invocation& inv, CLI::App* parent);
void add_container_prune(Invocation& inv, CLI::App* parent);
void add_cp(Invocation& inv, CLI::App* parent);

void add_container_commands(Invocation& inv, CLI::App* parent, bool in_group) {
  add_run_commands(inv, parent);
  add_lifecycle_commands(inv, parent);
  add_io_commands(inv, parent);
  add_stats(inv, parent);
  add_cp(inv, parent);
  if (!in_group) {
    add_ps(inv, parent, "ps");
    return;
  }
  for (const char* name : {"ls", "list", "ps"}) add_ps(inv, parent, name);
  add_container_prune(inv, parent);
  if (!inv.wants(parent, "inspect")) return;
  Cli& cli = inv.cli;
  struct O { std::vector<std::string> args; std::string format; bool size = false; };
  auto o = std::make_shared<O>();
  CLI::App* app = add_command(inv, parent, "inspect", "[OPTIONS] CONTAINER [CONTAINER...]",
                              "Display detailed information on one or more containers", &o->args, {1},
                              [&cli, o] { return inspect_objects(cli, o->args, o->format, InspectType::Container, o->size); });
  add_string(app, "-f,--format", o->format, "Format output using a custom template");
  add_bool(app, "-s,--size", o->size, "Display total file sizes");
}

}  // namespace berth::cli
