// What every `berth compose` command shares: the global compose flags
// (-f, -p, --project-directory, --env-file, --profile) and loading the
// project they name with this process's environment, directory and HOME.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "base/error.h"
#include "compose/model.h"

namespace berth::cli {

struct ComposeFlags {
  std::vector<std::string> files;
  std::string project_name;
  std::string project_directory;
  std::vector<std::string> env_files;
  std::vector<std::string> profiles;
};

// Declares the flags on the `compose` group (given before the subcommand, as docker compose).
void add_compose_flags(CLI::App* group, ComposeFlags& flags);

// The resolved project; its warnings are printed to stderr as compose does
// ("WARN[0000] ...") unless `quiet_warnings`.
Result<compose::Project> load_compose_project(const ComposeFlags& flags, bool quiet_warnings = false);

}  // namespace berth::cli
