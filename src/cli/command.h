// How commands plug into the CLI11 tree: each `add_*` function declares one
// command's flags under a parent (the root or a group: `container`, `image`,
// `network`, `volume`, `system`) and sets
// the action to run once parsing succeeded. Usage lines and argument counts
// follow docker-cli, so help and mistakes read the same.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "base/error.h"
#include "cli/cli.h"

namespace berth::cli {

struct CommandInfo {
  std::string path;         // "berth container ls"
  std::string usage;        // "[OPTIONS] CONTAINER [CONTAINER...]"
  std::string description;  // one line
};

// The command a command line names ("run"; "container" and "ls"), read
// before the tree is built so that only that command gets its flags: declaring
// every command's flags cost more than the rest of a `berth run --rm`. Empty
// words mean "every command" (help listings, or a line the scan cannot read).
struct CommandFilter {
  std::string command, subcommand;
};

// The words after the global flags; empty where a help or version flag, `--`
// or a flag the scan does not know comes first.
CommandFilter scan_command_line(int argc, const char* const* argv);

struct Invocation {
  Cli& cli;
  std::function<Result<int>()> action = {};
  std::map<const CLI::App*, CommandInfo> info = {};
  CommandFilter filter = {};

  // Whether command `name` under `parent` (the root or a group) can be the one
  // invoked; registration declares only those.
  bool wants(const CLI::App* parent, const std::string& name) const;
};

struct ArgCount {
  size_t min = 0;
  size_t max = SIZE_MAX;
};

// A subcommand `name` of `parent` with positional arguments in *args
// (checked against `count`, docker's messages), and `run` as its action.
// `run` is called after parsing, with the arguments in place.
CLI::App* add_command(Invocation& inv, CLI::App* parent, const std::string& name, const std::string& usage,
                      const std::string& description, std::vector<std::string>* args, ArgCount count,
                      std::function<Result<int>()> run);

// Options bound the way docker's pflag behaves: a repeatable option takes one
// value per occurrence ("-e A -e B").
CLI::Option* add_list(CLI::App* app, const std::string& names, std::vector<std::string>& values,
                      const std::string& description, const std::string& type = "list");
CLI::Option* add_string(CLI::App* app, const std::string& names, std::string& value, const std::string& description,
                        const std::string& type = "string");
CLI::Option* add_int(CLI::App* app, const std::string& names, int64_t& value, const std::string& description);
CLI::Option* add_bool(CLI::App* app, const std::string& names, bool& value, const std::string& description);

// The --help text of a command, laid out as docker-cli's.
std::string help_text(const Invocation& inv, const CLI::App* app);

// Registration of every command (one function per file of commands).
void add_run_commands(Invocation& inv, CLI::App* parent);
void add_build_commands(Invocation& inv, CLI::App* parent);  // build, image build
void add_container_commands(Invocation& inv, CLI::App* parent, bool in_group);
void add_image_commands(Invocation& inv, CLI::App* parent, bool in_group);
// `berth image diff` (image_diff.cc): only in the image group, `diff` alone is the container's.
void add_image_diff_command(Invocation& inv, CLI::App* image_group);
void add_system_commands(Invocation& inv, CLI::App* root, CLI::App* system_group);
// `berth isolation` (isolation.cc): each isolation level measured on this machine.
void add_isolation_command(Invocation& inv, CLI::App* root);
void add_network_commands(Invocation& inv, CLI::App* network_group);
void add_volume_commands(Invocation& inv, CLI::App* volume_group);
void add_unavailable_commands(Invocation& inv, CLI::App* root);  // search
// `berth compose` (compose_commands.cc): its global flags and commands.
void add_compose_commands(Invocation& inv, CLI::App* compose_group);

}  // namespace berth::cli
