// Behaviours of Go's standard library that docker-cli's flag parsing leans
// on, reproduced so berth reads the same flag text the same way.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "cli/template.h"

namespace berth::cli {

// Go's encoding/csv for one line: "a,\"b,c\"" -> {"a", "b,c"}.
Result<std::vector<std::string>> csv_fields(std::string_view line);
// Go's filepath.Abs (Join with cwd, then Clean).
std::string absolute_path(const std::string& path, const std::string& cwd);
// Go's strings.ToLower on flag keys and values (ASCII letters; other bytes kept).
std::string to_lower(std::string_view s);
// Go's strconv.ParseBool ("1", "t", "TRUE", "false", ...).
Result<bool> go_parse_bool(const std::string& value);
// "k=v" flags -> a JSON object with Go's sorted map order ("k" alone -> "").
Json string_map(const std::vector<std::string>& pairs);
// JSON text without insignificant whitespace (Go's json.Compact).
Result<std::string> compact_json(std::string_view raw);

}  // namespace berth::cli
