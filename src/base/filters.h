// Docker's `filters` query parameter (api/types/filters.Args): a JSON object
// of key -> values, in the current form {"k":{"v":true}} or the old
// {"k":["v"]} (a single string value is taken too). Values of one key are
// alternatives; keys are all required. Shared by every list and prune verb.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"

namespace berth {

class Filters {
 public:
  Filters() = default;
  // Empty text (or null JSON) means no filters; anything but an object of
  // lists/maps of strings is InvalidArgument.
  static Result<Filters> parse(std::string_view json_text);
  static Result<Filters> from_json(const nlohmann::json& j);

  bool empty() const { return values_.empty(); }
  // Every key with its values (sorted, without repeats).
  const std::map<std::string, std::vector<std::string>>& values() const { return values_; }
  bool contains(const std::string& key) const { return values_.contains(key); }
  // The values of key, sorted; empty when absent.
  const std::vector<std::string>& get(const std::string& key) const;
  void add(const std::string& key, const std::string& value);
  // Validate: "invalid filter 'KEY'" for a key outside `accepted`.
  Result<void> validate(const std::set<std::string>& accepted) const;
  // ExactMatch: no values for key, or `value` among them.
  bool exact_match(const std::string& key, const std::string& value) const;
  // MatchKVList: every "k" or "k=v" value of key is in `labels` (true when
  // key has no values).
  bool match_kv_list(const std::string& key, const std::map<std::string, std::string>& labels) const;
  // Match: no values for key, or one equals `source` or, as an ECMAScript
  // regular expression, is found in it (patterns that do not compile are skipped).
  bool match(const std::string& key, const std::string& source) const;
  // GetBoolOrDefault: `dflt` when key is absent; "true"/"1" or
  // "false"/"0", else "invalid filter 'KEY=V1,V2'" (also when both given).
  Result<bool> get_bool_or_default(const std::string& key, bool dflt) const;

 private:
  std::map<std::string, std::vector<std::string>> values_;
};

}  // namespace berth
