// linux.cgroupsPath semantics, as runc's cgroupfs driver has them.
#include "runtime/cgroup/paths.h"

#include "base/strings.h"
#include "runtime/cgroup/fs.h"

namespace berth::runtime::cgroup {

Result<std::string> cgroup_path_for(const std::string& cgroups_path, const std::string& container_id) {
  if (cgroups_path.empty()) {
    if (container_id.empty() || container_id.find('/') != std::string::npos || container_id == "." ||
        container_id == "..")
      return fail(Errc::InvalidArgument, "container id '" + container_id + "' cannot name a cgroup");
    return "/berth/" + container_id;
  }
  if (cgroups_path.front() != '/' && split(cgroups_path, ':').size() == 3)
    return fail(Errc::Unsupported, "systemd cgroup driver is not supported: cgroupsPath '" +
                                       cgroups_path + "' is in slice:prefix:name form");
  if (cgroups_path.front() == '/') return detail::clean_abs(cgroups_path);
  // Relative: keep it relative, but without "." / ".." / empty components at its edges.
  std::string rel = detail::clean_abs("/" + cgroups_path).substr(1);
  if (rel.empty()) return fail(Errc::InvalidArgument, "cgroupsPath '" + cgroups_path + "' names no cgroup");
  return rel;
}

namespace detail {

std::string clean_abs(const std::string& path) {
  std::vector<std::string> parts;
  for (const auto& p : split(path, '/', true)) {
    if (p == ".") continue;
    if (p == "..") {
      if (!parts.empty()) parts.pop_back();  // ".." at the root stays at the root
      continue;
    }
    parts.push_back(p);
  }
  return "/" + join(parts, "/");
}

std::string own_cgroup(const Hierarchy& h) {
  const std::string& root = h.root;
  if (root == "/" || root.empty()) return clean_abs(h.self_path);
  // The mount shows only part of the hierarchy (no cgroup namespace): strip its root.
  if (h.self_path.compare(0, root.size(), root) == 0 &&
      (h.self_path.size() == root.size() || h.self_path[root.size()] == '/'))
    return clean_abs(h.self_path.substr(root.size()));
  return clean_abs(h.self_path);
}

std::string resolve_dir(const Hierarchy& h, const std::string& cgroup_path) {
  std::string inner = cgroup_path.front() == '/' ? clean_abs(cgroup_path)
                                                 : clean_abs(own_cgroup(h) + "/" + cgroup_path);
  if (inner == "/") return h.mountpoint;
  return join_path(h.mountpoint, inner);
}

}  // namespace detail
}  // namespace berth::runtime::cgroup
