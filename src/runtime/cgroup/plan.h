// Which directory drives which controller, for each layout mode.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "runtime/cgroup/manager.h"

namespace berth::runtime::cgroup::detail {

// The container's directory in one hierarchy.
struct CgroupDir {
  std::string mountpoint;
  // v1: the hierarchy's controllers ("name=systemd" for named ones).
  // cgroup2: the controllers driven there (all of them on V2; on Hybrid only
  // those no v1 hierarchy has).
  std::vector<std::string> controllers;
  std::string dir;
  std::vector<std::string> created;  // directories create() made, top-down

  bool has(const std::string& controller) const;
};

struct Plan {
  Mode mode = Mode::V1;
  std::vector<CgroupDir> v1;
  std::optional<CgroupDir> unified;
};

// cgroup_path is cgroup_path_for()'s result.
Plan make_plan(const Layout& layout, const std::string& cgroup_path);

}  // namespace berth::runtime::cgroup::detail
