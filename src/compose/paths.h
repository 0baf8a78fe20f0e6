// Relative paths of a Compose file made absolute: build contexts, bind
// sources, env_file and config/secret files, against a directory (the project
// directory, or an extended file's own), with `~` as the caller's HOME.
#pragma once

#include <string>
#include <string_view>

#include "compose/tree.h"

namespace berth::compose {

// filepath.Join(dir, path) when path is relative, filepath.Clean otherwise;
// "~" and "~/x" start at home.
std::string absolute_path(std::string_view dir, std::string_view path, std::string_view home);
std::string dirname_of(std::string_view path);
std::string basename_of(std::string_view path);

// Remote build contexts (git URLs, http(s)) stay as written.
bool is_remote_context(std::string_view context);

void resolve_service_paths(Node& service, const std::string& dir, const std::string& home);
// Top-level configs and secrets (`file:`).
void resolve_resource_paths(Node& root, const std::string& dir, const std::string& home);

}  // namespace berth::compose
