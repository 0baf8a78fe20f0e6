// Where a container's cgroup lives in each hierarchy.
#pragma once

#include <string>

#include "runtime/cgroup/manager.h"

namespace berth::runtime::cgroup::detail {

// Lexically normalized absolute path; ".." never climbs above "/".
std::string clean_abs(const std::string& path);
// This process's cgroup in h, relative to the mount's root.
std::string own_cgroup(const Hierarchy& h);
// Host directory for cgroup_path (from cgroup_path_for()) in hierarchy h.
std::string resolve_dir(const Hierarchy& h, const std::string& cgroup_path);

}  // namespace berth::runtime::cgroup::detail
