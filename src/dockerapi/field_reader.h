// Reads a JSON object's fields the way Go's encoding/json decodes them into
// the Docker API's structs: a key matches exactly or, failing that, without
// regard to case; an absent or null field is the zero value; a value of the
// wrong JSON type is the client's error, named as Go names it:
//   json: cannot unmarshal string into Go struct field HostConfig.Memory of type int64
// so nothing the client sends can throw out of the API edge.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"

namespace berth::dockerapi {

class FieldReader {
 public:
  // `value` must be an object or null (null reads as an empty object); `path`
  // names it in messages ("HostConfig", "HostConfig.Mounts[0]").
  static Result<FieldReader> of(const nlohmann::json& value, std::string path);
  // The reader points into `value`: a temporary would dangle.
  static Result<FieldReader> of(nlohmann::json&& value, std::string path) = delete;

  Result<std::string> string(const char* key) const;
  Result<bool> boolean(const char* key) const;
  Result<int64_t> int64(const char* key) const;
  Result<uint64_t> uint64(const char* key) const;
  Result<std::optional<int64_t>> opt_int64(const char* key) const;  // Go's *int64
  Result<std::optional<bool>> opt_bool(const char* key) const;      // Go's *bool
  // []string: null -> {} (nullopt from opt_strings).
  Result<std::vector<std::string>> strings(const char* key) const;
  Result<std::optional<std::vector<std::string>>> opt_strings(const char* key) const;
  // Docker's StrSlice (Cmd, Entrypoint, Shell): a list, or one string.
  Result<std::optional<std::vector<std::string>>> str_slice(const char* key) const;
  // map[string]string
  Result<std::map<std::string, std::string>> string_map(const char* key) const;
  // map[string]struct{} (ExposedPorts, Volumes): the keys.
  Result<std::set<std::string>> key_set(const char* key) const;
  // A nested struct; an absent or null one reads as empty.
  Result<FieldReader> object(const char* key) const;
  // []struct; null -> {}.
  Result<std::vector<FieldReader>> objects(const char* key) const;
  // map[string]struct: key -> reader.
  Result<std::map<std::string, FieldReader>> object_map(const char* key) const;

  // The raw value (nullptr when absent), for fields with their own forms.
  const nlohmann::json* raw(const char* key) const;
  // The key is there with a non-null value.
  bool has(const char* key) const;
  const std::string& path() const { return path_; }
  std::string field(const char* key) const;  // "HostConfig.Memory"

 private:
  FieldReader(const nlohmann::json* obj, std::string path) : obj_(obj), path_(std::move(path)) {}
  const nlohmann::json* obj_;  // null: an empty object
  std::string path_;
};

// Go's name for a JSON value in its messages: "string", "number 1.5", "bool", "array", "object".
std::string go_value_kind(const nlohmann::json& v);
// The error for a value of the wrong type at `field` ("HostConfig.Memory") of Go type `go_type`.
// A JSON integer >= 0 (what Go's unsigned types take).
bool is_unsigned_integer(const nlohmann::json& v);
Error type_error(const nlohmann::json& v, const std::string& field, const char* go_type);

}  // namespace berth::dockerapi
