// Docker's prune filters: label=K, label=K=V, label!=K, label!=K=V, until=TIME.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "model/filters.h"

namespace berth::engine {

class PruneFilter {
 public:
  // InvalidArgument "invalid filter 'x'" for keys other than label, label! and until.
  static Result<PruneFilter> parse(const model::Filters& filters);
  // labels: the object's; created: RFC 3339.
  bool matches(const std::map<std::string, std::string>& labels, const std::string& created) const;

 private:
  std::vector<std::string> label_, not_label_;
  std::optional<int64_t> until_s_;
};

}  // namespace berth::engine
