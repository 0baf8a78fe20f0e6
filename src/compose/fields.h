// Reading one mapping of the canonical tree into the model, with the schema's
// checks: each key's type, and "Additional property foo is not allowed" for
// a key the Compose Specification does not have there. `x-*` keys are kept.
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/error.h"
#include "compose/model.h"
#include "compose/tree.h"

namespace berth::compose {

// A scalar's JSON value as YAML reads it (numbers, booleans, null), or the
// tree of a mapping / sequence (extensions, `config --format json`).
nlohmann::json to_json(const Node& n);

class Fields {
 public:
  // Fails unless n is a mapping (or null: no fields).
  static Result<Fields> of(const Node& n, std::string path);

  const std::string& path() const { return path_; }
  std::string sub(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }
  const Node* get(const char* key);  // marks the key as known

  Result<void> str(const char* key, std::string& out);
  Result<void> boolean(const char* key, bool& out);
  Result<void> boolean(const char* key, std::optional<bool>& out);
  Result<void> integer(const char* key, std::optional<int64_t>& out);
  Result<void> integer(const char* key, std::optional<int>& out);
  Result<void> number(const char* key, std::optional<double>& out);
  Result<void> duration(const char* key, std::optional<Nanoseconds>& out);
  Result<void> bytes(const char* key, std::optional<Bytes>& out);
  Result<void> strings(const char* key, std::vector<std::string>& out);
  Result<void> string_map(const char* key, StringMap& out);
  Result<void> optional_map(const char* key, OptionalValueMap& out);
  Result<void> extra_hosts(const char* key, std::vector<ExtraHost>& out);
  // Keys the specification has but the model does not carry: accepted, dropped.
  void accept(std::initializer_list<const char*> keys);
  // Fails on the first unknown key; fills *extensions with the x-* keys.
  Result<void> finish(Extensions* extensions = nullptr);

 private:
  Fields(const Node* n, std::string path) : node_(n), path_(std::move(path)) {}
  const Node* node_;
  std::string path_;
  std::set<std::string> known_;
};

// Scalar conversions with schema-style errors ("PATH must be a string").
Result<std::string> as_string(const Node& n, const std::string& path);
Result<bool> as_bool(const Node& n, const std::string& path);
Result<int64_t> as_int(const Node& n, const std::string& path);
Result<double> as_number(const Node& n, const std::string& path);
Result<Nanoseconds> as_duration(const Node& n, const std::string& path);
Result<Bytes> as_bytes(const Node& n, const std::string& path);

}  // namespace berth::compose
