// This host's facts that shape a spec, read once by the daemon.
#include <dirent.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <linux/magic.h>

#include "base/file.h"
#include "base/strings.h"
#include "specgen/specgen.h"
#include "sys/userns.h"

namespace berth::specgen {
namespace {

// Hex value of "Key:\t..." in /proc/self/status.
std::optional<uint64_t> status_hex(const std::string& status, std::string_view key) {
  for (const auto& line : split(status, '\n')) {
    if (line.rfind(key, 0) != 0 || line.size() <= key.size() || line[key.size()] != ':') continue;
    std::string value(trim(std::string_view(line).substr(key.size() + 1)));
    char* end = nullptr;
    uint64_t v = std::strtoull(value.c_str(), &end, 16);
    if (end == value.c_str()) return std::nullopt;
    return v;
  }
  return std::nullopt;
}

bool exists(const std::string& path) {
  struct stat st{};
  return ::stat(path.c_str(), &st) == 0;
}

// Device nodes under dir (recursively), skipping what every container gets
// anyway (pts, shm, mqueue, fd) and the host's console.
void collect_devices(const std::string& dir, std::vector<HostDevice>& out, int depth) {
  if (depth > 8) return;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return;
  while (struct dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    std::string path = dir + "/" + name;
    struct stat st{};
    if (::lstat(path.c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      if (depth == 0 && (name == "pts" || name == "shm" || name == "mqueue" || name == "fd" ||
                         name == ".lxc" || name == ".lxd-mounts" || name == ".udev"))
        continue;
      collect_devices(path, out, depth + 1);
      continue;
    }
    if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode)) continue;
    if (depth == 0 && name == "console") continue;
    HostDevice dev;
    dev.path = path;
    dev.type = S_ISBLK(st.st_mode) ? 'b' : 'c';
    dev.major = major(st.st_rdev);
    dev.minor = minor(st.st_rdev);
    dev.mode = st.st_mode & 07777;
    dev.uid = st.st_uid;
    dev.gid = st.st_gid;
    out.push_back(std::move(dev));
  }
  ::closedir(d);
}

}  // namespace

Result<HostInfo> probe_host() {
  HostInfo h;
  auto status = TRY_CTX(read_file("/proc/self/status"), "reading the capability bounding set");
  auto bnd = status_hex(status, "CapBnd");
  if (!bnd) return fail(Errc::Internal, "/proc/self/status has no CapBnd line");
  h.cap_bounding = *bnd;

  struct statfs fs{};
  if (::statfs("/sys/fs/cgroup", &fs) != 0) return fail_errno("statfs /sys/fs/cgroup");
  h.cgroup2 = fs.f_type == CGROUP2_SUPER_MAGIC;
  h.swap_accounting = h.cgroup2 ? true : exists("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes");

  if (sys::in_user_namespace()) {
    // Delegated: a pure cgroup v2 whose directory of ours we may write in.
    std::string self;
    if (auto c = read_file("/proc/self/cgroup"); c && c->rfind("0::", 0) == 0)
      self = c->substr(3, c->find('\n') - 3);
    if (h.cgroup2 && !self.empty() && ::access(("/sys/fs/cgroup" + self).c_str(), W_OK) == 0)
      h.cgroups_under_daemon = true;
    else if (h.cgroup2)
      h.limits_unavailable = "berthd runs rootless and its cgroup v2 directory is not delegated to this user "
                             "(systemd's Delegate=yes for the user's session)";
    else
      h.limits_unavailable = "berthd runs rootless on a cgroup v1 host, where no cgroup can be delegated to an "
                             "unprivileged user (rootless limits need cgroup v2 with delegation)";
  }

  cpu_set_t set;
  CPU_ZERO(&set);
  h.ncpus = ::sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set)
                                                          : static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN));
  if (h.ncpus < 1) h.ncpus = 1;

  struct utsname u{};
  if (::uname(&u) != 0) return fail_errno("uname");
  h.hostname = u.nodename;
  h.kernel = u.release;

  collect_devices("/dev", h.devices, 0);
  return h;
}

}  // namespace berth::specgen
