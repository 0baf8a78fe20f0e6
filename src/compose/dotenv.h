// .env and env_file files as compose-go reads them (its fork of godotenv):
// KEY=VALUE lines, `export` prefix, # comments, 'literal' and "escaped"
// (multi-line) values, unquoted values cut at " #", ${VAR} expanded from
// the caller's environment then from the file's earlier lines (not inside
// single quotes), and a bare KEY taken from the environment when set there.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"
#include "compose/interpolation.h"

namespace berth::compose {

using EnvEntries = std::vector<std::pair<std::string, std::string>>;

// Entries in file order. Errors name the file and line:
// `failed to read FILE: line 3: unexpected character "%" in variable name "A%B"`.
Result<EnvEntries> parse_dotenv(std::string_view text, const std::string& file, const Lookup& lookup);

}  // namespace berth::compose
