#include "runtime/linux/host_mounts.h"

#include <sys/mount.h>

#include <algorithm>

#include "base/file.h"
#include "base/strings.h"

namespace berth::runtime {
namespace {

struct MountLine {
  uint64_t id = 0;
  std::string mount_point;
};

// mountinfo writes ' ', '\t', '\n' and '\\' in paths as \ooo.
std::string unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

Result<std::vector<MountLine>> read_mountinfo() {
  std::string text = TRY(read_file("/proc/self/mountinfo"));
  std::vector<MountLine> out;
  for (const auto& line : split(text, '\n', true)) {
    auto f = split(line, ' ');
    if (f.size() < 5) continue;
    out.push_back({std::stoull(f[0]), unescape(f[4])});
  }
  return out;
}

}  // namespace

Result<std::vector<uint64_t>> mount_ids() {
  std::vector<uint64_t> ids;
  for (const auto& m : TRY(read_mountinfo())) ids.push_back(m.id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

Result<std::vector<std::string>> mounts_added_under(const std::string& root, const std::vector<uint64_t>& before) {
  std::vector<std::string> out;
  for (const auto& m : TRY(read_mountinfo())) {
    if (std::binary_search(before.begin(), before.end(), m.id)) continue;
    if (m.mount_point == root || m.mount_point.rfind(root + "/", 0) == 0) out.push_back(m.mount_point);
  }
  return out;
}

void unmount_all(const std::vector<std::string>& mount_points) {
  for (auto it = mount_points.rbegin(); it != mount_points.rend(); ++it) ::umount2(it->c_str(), MNT_DETACH);
}

}  // namespace berth::runtime
