// Typed, path-aware reads from a JSON document: a wrong type or value is
// reported with the JSON path of the field ("linux.resources.memory.limit").
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace berth::spec {

// Thrown only inside the parsers and turned into an Error at their edge.
struct FieldError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class JsonReader {
 public:
  JsonReader(const nlohmann::json& j, std::string path) : j_(j), path_(std::move(path)) {}

  const std::string& path() const { return path_; }
  const nlohmann::json& json() const { return j_; }
  bool has(const char* key) const { return j_.is_object() && j_.contains(key) && !j_[key].is_null(); }
  JsonReader child(const char* key) const;
  std::string field(const char* key) const { return path_.empty() ? key : path_ + "." + key; }
  [[noreturn]] void error(const char* key, const std::string& why) const;

  std::string str(const char* key, const std::string& def = "") const;
  bool boolean(const char* key, bool def = false) const;
  std::optional<bool> opt_bool(const char* key) const;
  std::optional<int64_t> opt_i64(const char* key) const;
  std::optional<uint64_t> opt_u64(const char* key) const;
  std::optional<uint32_t> opt_u32(const char* key) const;
  std::vector<std::string> strings(const char* key) const;
  std::map<std::string, std::string> string_map(const char* key) const;
  // Calls f(JsonReader) for each element of an array field.
  template <class F>
  void each(const char* key, F f) const {
    if (!has(key)) return;
    const auto& a = j_[key];
    if (!a.is_array()) error(key, "expected an array");
    for (size_t i = 0; i < a.size(); ++i) f(JsonReader(a[i], field(key) + "[" + std::to_string(i) + "]"));
  }

 private:
  const nlohmann::json& j_;
  std::string path_;
};

}  // namespace berth::spec
