#include "compose/order.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "base/strings.h"

namespace berth::compose {

namespace {

// Depth-first: a service's level is one more than its deepest dependency.
struct Leveler {
  const Project& project;
  std::map<std::string, int> level;
  std::vector<std::string> stack;

  Result<int> visit(const std::string& name) {
    if (auto it = level.find(name); it != level.end()) return it->second;
    if (auto it = std::find(stack.begin(), stack.end(), name); it != stack.end()) {
      std::vector<std::string> cycle(it, stack.end());
      cycle.push_back(name);
      return fail(Errc::InvalidArgument, fmt::format("dependency cycle detected: {}", join(cycle, " -> ")));
    }
    stack.push_back(name);
    int mine = 0;
    const Service& s = project.services.at(name);
    for (const auto& [dep, _] : s.depends_on) {
      if (!project.services.contains(dep)) continue;  // optional and disabled
      mine = std::max(mine, TRY(visit(dep)) + 1);
    }
    stack.pop_back();
    level[name] = mine;
    return mine;
  }
};

}  // namespace

Result<Levels> start_levels(const Project& project) {
  Leveler l{project};
  Levels out;
  for (const auto& [name, _] : project.services) {
    int n = TRY(l.visit(name));
    if (out.size() <= static_cast<size_t>(n)) out.resize(n + 1);
  }
  for (const auto& [name, n] : l.level) out[n].push_back(name);  // the map is sorted
  return out;
}

Result<Levels> stop_levels(const Project& project) {
  Levels levels = TRY(start_levels(project));
  std::reverse(levels.begin(), levels.end());
  return levels;
}

}  // namespace berth::compose
