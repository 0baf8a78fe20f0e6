// Variable substitution in Compose values (compose-go's template package):
// $VAR, ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?err}, ${VAR?err},
// ${VAR:+alt}, ${VAR+alt}, $$ for a literal $, defaults and messages
// themselves interpolated (nesting).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "compose/tree.h"

namespace berth::compose {

// A variable's value, or nullopt when it is not set.
using Lookup = std::function<std::optional<std::string>(const std::string&)>;

// Interpolates one string. Errors are InvalidArgument in compose-go's words:
// `Invalid template: "..."`, `required variable X is missing a value: why`.
// A variable used without a default and not set reads as "" and adds its
// name to *unset (once) when given.
Result<std::string> interpolate(std::string_view text, const Lookup& lookup,
                                std::vector<std::string>* unset = nullptr);

// Interpolates every scalar value of a file's tree (never keys). An error
// names the file and the path: "FILE: error while interpolating
// services.web.image: required variable ...".
Result<void> interpolate_tree(Node& root, const Lookup& lookup, std::vector<std::string>* unset = nullptr);

}  // namespace berth::compose
