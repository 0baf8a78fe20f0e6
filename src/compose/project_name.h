// The project's name, as Compose v2 chooses it: -p, else COMPOSE_PROJECT_NAME,
// else the top-level `name:`, else the project directory's base name
// (normalized: lowercase, only [a-z0-9_-], no leading '_' or '-').
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"

namespace berth::compose {

std::string normalize_project_name(std::string_view name);
// InvalidArgument in Compose's words when a name given as such is not valid.
Result<void> check_project_name(std::string_view name);

}  // namespace berth::compose
