// Splitting controllers between v1 hierarchies and the cgroup2: on Hybrid a
// controller is driven through v1 when a v1 hierarchy has it, else through the
// cgroup2 (hugetlb on this kind of host).
#include <algorithm>
#include <set>

#include "runtime/cgroup/paths.h"
#include "runtime/cgroup/plan.h"

namespace berth::runtime::cgroup::detail {

bool CgroupDir::has(const std::string& controller) const {
  return std::find(controllers.begin(), controllers.end(), controller) != controllers.end();
}

Plan make_plan(const Layout& layout, const std::string& cgroup_path) {
  Plan plan;
  plan.mode = layout.mode;
  std::set<std::string> in_v1;
  if (layout.mode != Mode::V2) {
    for (const auto& h : layout.v1) {
      plan.v1.push_back(CgroupDir{h.mountpoint, h.controllers, resolve_dir(h, cgroup_path), {}});
      in_v1.insert(h.controllers.begin(), h.controllers.end());
    }
  }
  if (layout.mode != Mode::V1 && layout.unified) {
    std::vector<std::string> owned;
    for (const auto& c : layout.v2_controllers)
      if (!in_v1.count(c)) owned.push_back(c);
    plan.unified = CgroupDir{layout.unified->mountpoint, owned, resolve_dir(*layout.unified, cgroup_path), {}};
  }
  return plan;
}

}  // namespace berth::runtime::cgroup::detail
