#include "cli/compose_project.h"

#include <unistd.h>

#include <fmt/format.h>

#include "cli/cli.h"
#include "cli/command.h"
#include "compose/loader.h"

extern char** environ;

namespace berth::cli {

void add_compose_flags(CLI::App* group, ComposeFlags& f) {
  add_list(group, "-f,--file", f.files, "Compose configuration files", "stringArray");
  add_string(group, "-p,--project-name", f.project_name, "Project name");
  add_string(group, "--project-directory", f.project_directory,
             "Specify an alternate working directory\n(default: the path of the, first specified, Compose file)");
  add_list(group, "--env-file", f.env_files, "Specify an alternate environment file", "stringArray");
  add_list(group, "--profile", f.profiles, "Specify a profile to enable", "stringArray");
}

Result<compose::Project> load_compose_project(const ComposeFlags& flags, bool quiet_warnings) {
  compose::LoadOptions o;
  o.config_files = flags.files;
  o.project_name = flags.project_name;
  o.project_directory = flags.project_directory;
  o.env_files = flags.env_files;
  o.profiles = flags.profiles;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv = *e;
    size_t eq = kv.find('=');
    if (eq != std::string_view::npos) o.environment.emplace(kv.substr(0, eq), kv.substr(eq + 1));
  }
  char cwd[4096];
  if (!::getcwd(cwd, sizeof cwd)) return fail_errno("getcwd");
  o.working_directory = cwd;
  if (auto it = o.environment.find("HOME"); it != o.environment.end()) o.home = it->second;
  compose::Project p = TRY(compose::load_project(o));
  if (!quiet_warnings) {
    for (const std::string& w : p.warnings) errf("WARN[0000] {}\n", w);
  }
  return p;
}

}  // namespace berth::cli
