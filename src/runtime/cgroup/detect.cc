// Layout detection from /proc/self/mountinfo and /proc/self/cgroup.
#include <algorithm>
#include <cctype>
#include <set>

#include "base/file.h"
#include "base/log.h"
#include "base/strings.h"
#include "runtime/cgroup/fs.h"
#include "runtime/cgroup/manager.h"

namespace berth::runtime::cgroup {
namespace {

struct Mount {
  std::string root, mountpoint, fstype;
  std::vector<std::string> super_options;
};

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && std::isdigit(s[i + 1]) &&
        std::isdigit(s[i + 2]) && std::isdigit(s[i + 3])) {
      out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::vector<Mount> parse_mountinfo(const std::string& text) {
  std::vector<Mount> out;
  for (const auto& line : split(text, '\n', true)) {
    auto f = split(line, ' ', true);
    auto sep = std::find(f.begin(), f.end(), "-");
    // id parent dev root mountpoint options [optional...] - fstype source superoptions
    if (f.size() < 6 || sep == f.end() || f.end() - sep < 4) continue;
    Mount m{unescape(f[3]), unescape(f[4]), sep[1], split(sep[3], ',', true)};
    if (m.fstype == "cgroup" || m.fstype == "cgroup2") out.push_back(std::move(m));
  }
  return out;
}

// Super options that are not controllers.
bool is_controller_option(const std::string& opt) {
  static const std::set<std::string> not_controllers = {
      "rw", "ro", "xattr", "noprefix", "clone_children", "cpuset_v2_mode", "favordynmods",
      "none", "nsdelegate", "memory_localevents", "memory_recursiveprot", "memory_hugetlb_accounting",
      "pids_localevents"};
  if (not_controllers.count(opt)) return false;
  return opt.rfind("release_agent=", 0) != 0;
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

}  // namespace

const char* mode_name(Mode mode) {
  switch (mode) {
    case Mode::V1: return "v1";
    case Mode::Hybrid: return "hybrid";
    case Mode::V2: return "v2";
  }
  return "unknown";
}

Result<Layout> detect_layout(const std::string& mountinfo_path, const std::string& self_cgroup_path) {
  auto mountinfo = TRY_CTX(read_file(mountinfo_path), "detecting cgroup layout");
  auto self = TRY_CTX(read_file(self_cgroup_path), "detecting cgroup layout");

  // /proc/self/cgroup: "id:controllers:path"; the cgroup2 line is "0::path".
  std::vector<std::pair<std::vector<std::string>, std::string>> memberships;
  std::optional<std::string> v2_self;
  for (const auto& line : split(self, '\n', true)) {
    auto first = line.find(':');
    auto second = line.find(':', first == std::string::npos ? first : first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    std::string ctrls = line.substr(first + 1, second - first - 1);
    std::string path = line.substr(second + 1);
    if (ctrls.empty()) {
      v2_self = path;
    } else {
      memberships.emplace_back(sorted(split(ctrls, ',', true)), path);
    }
  }

  Layout layout;
  std::set<std::vector<std::string>> seen;
  bool v1_has_controllers = false;
  for (auto& m : parse_mountinfo(mountinfo)) {
    Hierarchy h{m.mountpoint, {}, m.root, m.root};
    if (m.fstype == "cgroup2") {
      // The first cgroup2 mount wins; later ones are bind mounts of the same tree.
      if (layout.unified) continue;
      if (v2_self) h.self_path = *v2_self;
      layout.unified = std::move(h);
      continue;
    }
    for (const auto& opt : m.super_options)
      if (is_controller_option(opt)) h.controllers.push_back(opt);
    if (h.controllers.empty()) continue;
    auto key = sorted(h.controllers);
    if (!seen.insert(key).second) continue;  // the same hierarchy mounted twice
    auto it = std::find_if(memberships.begin(), memberships.end(),
                           [&](const auto& mb) { return mb.first == key; });
    if (it != memberships.end()) {
      h.self_path = it->second;
    } else {
      log::debug("cgroup hierarchy {} is mounted but not listed in {}; using its root",
                 m.mountpoint, self_cgroup_path);
    }
    for (const auto& c : h.controllers)
      if (c.rfind("name=", 0) != 0) v1_has_controllers = true;
    layout.v1.push_back(std::move(h));
  }

  if (layout.unified) {
    // Missing file (or a kernel without it): a cgroup2 with no controllers.
    if (auto text = read_file(detail::join_path(layout.unified->mountpoint, "cgroup.controllers")))
      layout.v2_controllers = split(trim(*text), ' ', true);
    layout.unified->controllers = layout.v2_controllers;
  }

  if (layout.unified && !v1_has_controllers) {
    layout.mode = Mode::V2;
    layout.v1.clear();  // named-only v1 hierarchies are of no use beside a full cgroup2
  } else if (layout.unified) {
    layout.mode = Mode::Hybrid;
  } else if (!layout.v1.empty()) {
    layout.mode = Mode::V1;
  } else {
    return fail(Errc::Unsupported, "detecting cgroup layout: no cgroup or cgroup2 filesystem is mounted (" +
                                       mountinfo_path + ")");
  }
  return layout;
}

}  // namespace berth::runtime::cgroup
