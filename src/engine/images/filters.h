// Docker's `filters` query parameter (api/types/filters): a JSON object of
// key -> values, in the current form {"k":["v"]} or the old {"k":{"v":true}}.
// Values of one key are alternatives; keys are all required.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace berth::engine::images {

class Filters {
 public:
  // Empty input means no filters; bad JSON is InvalidArgument.
  static Result<Filters> parse(std::string_view json);

  bool contains(const std::string& key) const { return values_.contains(key); }
  const std::vector<std::string>& get(const std::string& key) const;
  // "invalid filter 'KEY'" for a key outside `accepted`, as dockerd says.
  Result<void> validate(const std::set<std::string>& accepted) const;
  // Filters' ExactMatch: no values for key, or `value` among them.
  bool exact_match(const std::string& key, const std::string& value) const;
  // Filters' MatchKVList: every "k" or "k=v" value of `key` is in `labels`.
  bool match_kv_list(const std::string& key, const std::map<std::string, std::string>& labels) const;
  // A boolean filter (dangling): "true"/"1" or "false"/"0"; anything else is
  // "Invalid filter 'KEY=VALUE'".
  Result<bool> boolean(const std::string& key) const;

 private:
  std::map<std::string, std::vector<std::string>> values_;
};

}  // namespace berth::engine::images
