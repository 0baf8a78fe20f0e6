// `inspect`, `container inspect`, `image inspect`: the daemon's JSON for each
// name, printed as docker prints it (a JSON array indented 4 spaces, or one
// --format line per object).
#pragma once

#include <functional>

#include <string>
#include <vector>

#include "cli/cli.h"

namespace berth::cli {

enum class InspectType { Any, Container, Image };

Result<int> inspect_objects(Cli& cli, const std::vector<std::string>& names, const std::string& format,
                            InspectType type, bool size);
// The printing all inspect commands share (network, volume too): fetch gives
// an object's raw JSON or the error to report after the output; a connection
// failure (Unavailable) stops at once.
Result<int> print_inspected(const std::vector<std::string>& names, const std::string& format,
                            const std::function<Result<std::string>(const std::string&)>& fetch);

}  // namespace berth::cli
