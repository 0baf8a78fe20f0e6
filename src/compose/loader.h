// Loading a Compose project: files found or given, .env, interpolation,
// extends, merge, profiles, normalization and validation, as Compose v2
// (compose-go) does. Pure: the files are read through FileReader, and the
// environment and HOME come from the caller, never from the process.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/error.h"
#include "compose/file_reader.h"
#include "compose/model.h"

namespace berth::compose {

struct LoadOptions {
  std::vector<std::string> config_files;  // -f, in order; empty: the default names
  std::string project_name;               // -p
  std::string project_directory;          // --project-directory; default: the first file's directory
  std::vector<std::string> env_files;     // --env-file; default: <project dir>/.env when present
  std::vector<std::string> profiles;      // --profile (COMPOSE_PROFILES adds to them)
  std::map<std::string, std::string> environment;  // the caller's environment
  std::string working_directory;          // the caller's cwd: relative -f and defaults start here
  std::string home;                       // for `~` in paths
  const FileReader* reader = nullptr;     // nullptr: the real filesystem
};

// The resolved project, or the first error in Compose v2's words (naming the
// file, the service and the key where it can).
Result<Project> load_project(const LoadOptions& options);

}  // namespace berth::compose
