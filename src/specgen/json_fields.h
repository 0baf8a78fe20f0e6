// Typed reads of Docker's Config/HostConfig fields. Go clients send null for
// empty slices and maps, and older API versions a string where later ones send
// a list; these helpers accept both and name the field when the type is wrong,
// so nlohmann never throws out of this module.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"

namespace berth::specgen::detail {

// "" when absent or null.
Result<std::string> get_string(const nlohmann::json& obj, const char* key, const char* where);
// 0 when absent or null. Accepts integers only (Go's int64 fields).
Result<int64_t> get_int(const nlohmann::json& obj, const char* key, const char* where);
// nullopt when absent or null.
Result<std::optional<int64_t>> get_opt_int(const nlohmann::json& obj, const char* key,
                                           const char* where);
Result<bool> get_bool(const nlohmann::json& obj, const char* key, const char* where);
// A list of strings; a single string becomes a one-element list (Cmd/Entrypoint in
// old API versions). Absent/null -> empty.
Result<std::vector<std::string>> get_strings(const nlohmann::json& obj, const char* key,
                                             const char* where);
// True when the key holds a non-null value (a list, even empty, or a string).
bool has_value(const nlohmann::json& obj, const char* key);
// A map of string -> string; absent/null -> empty.
Result<std::map<std::string, std::string>> get_string_map(const nlohmann::json& obj,
                                                          const char* key, const char* where);

// "KEY" of "KEY=value" (the whole string when there is no '=').
std::string env_key(const std::string& entry);

}  // namespace berth::specgen::detail
