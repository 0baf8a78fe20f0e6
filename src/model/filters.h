// Docker's list and prune filters (`filters={"label":["a=b"],"status":["exited"]}`)
// after the API edge has parsed them: key -> values; values of one key are
// OR'ed, keys AND'ed.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace berth::model {

using Filters = std::map<std::string, std::vector<std::string>>;

struct ListOptions {
  bool all = false;
  int limit = -1;  // <= 0: no limit
  bool size = false;
  Filters filters;
};

}  // namespace berth::model
