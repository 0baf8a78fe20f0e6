// `inspect`, `container inspect`, `image inspect`: the daemon's JSON for each
// name, printed as docker prints it (a JSON array indented 4 spaces, or one
// --format line per object).
#pragma once

#include <string>
#include <vector>

#include "cli/cli.h"

namespace berth::cli {

enum class InspectType { Any, Container, Image };

Result<int> inspect_objects(Cli& cli, const std::vector<std::string>& names, const std::string& format,
                            InspectType type, bool size);

}  // namespace berth::cli
