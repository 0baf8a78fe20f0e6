// Capabilities: names are resolved to 64-bit masks in the runtime; the child
// only issues prctl/capset with those masks (no allocation, no /proc access).
#include "runtime/linux/caps.h"

#include "spec/capability_names.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>

namespace berth::runtime {
namespace {

const auto kCapNames = spec::capability_names();
const int kTableCaps = static_cast<int>(kCapNames.size());
constexpr int kMaxCap = 63;  // masks are 64-bit

bool iequals(const char* a, const std::string& b, size_t from) {
  size_t i = 0;
  for (; a[i] != '\0'; ++i) {
    if (from + i >= b.size()) return false;
    if (std::toupper(static_cast<unsigned char>(b[from + i])) != a[i]) return false;
  }
  return from + i == b.size();
}

// Probes the bounding set: PR_CAPBSET_READ fails with EINVAL past the last cap.
int probe_last_cap() {
  int cap = 0;
  while (cap < kMaxCap && ::prctl(PR_CAPBSET_READ, cap + 1, 0, 0, 0) >= 0) ++cap;
  return cap;
}

int read_last_cap_file() {
  int fd = ::open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  char buf[16];
  ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return -1;
  int v = 0;
  for (ssize_t i = 0; i < n && buf[i] >= '0' && buf[i] <= '9'; ++i) v = v * 10 + (buf[i] - '0');
  return v;
}

std::atomic<int> g_last_cap{-1};

Result<uint64_t> resolve_set(const std::vector<std::string>& names, const char* set) {
  uint64_t mask = 0;
  int last = last_cap();
  for (const auto& name : names) {
    auto cap = cap_from_name(name);
    if (!cap)
      return fail(Errc::InvalidArgument,
                  std::string("process.capabilities.") + set + ": unknown capability " + name);
    if (*cap > last)
      return fail(Errc::InvalidArgument, std::string("process.capabilities.") + set +
                                             ": capability " + name +
                                             " is not supported by this kernel (last is " +
                                             cap_name(last) + ")");
    mask |= uint64_t{1} << *cap;
  }
  return mask;
}

}  // namespace

Result<int> cap_from_name(const std::string& name) {
  size_t from = 0;
  if (name.size() > 4 && iequals("CAP_", name.substr(0, 4), 0)) from = 4;
  for (int cap = 0; cap < kTableCaps; ++cap)
    if (iequals(kCapNames[cap] + 4, name, from)) return cap;
  return fail(Errc::InvalidArgument, "unknown capability " + name);
}

std::string cap_name(int cap) {
  if (cap >= 0 && cap < kTableCaps) return kCapNames[cap];
  return "CAP_" + std::to_string(cap);  // newer than this table
}

int last_cap() {
  int v = g_last_cap.load(std::memory_order_relaxed);
  if (v >= 0) return v;
  v = read_last_cap_file();
  if (v < 0 || v > kMaxCap) v = probe_last_cap();  // /proc missing (e.g. inside a chroot)
  g_last_cap.store(v, std::memory_order_relaxed);
  return v;
}

std::vector<std::string> all_cap_names() {
  std::vector<std::string> out;
  for (int cap = 0; cap <= last_cap(); ++cap) out.push_back(cap_name(cap));
  return out;
}

Result<CapSets> resolve_caps(const spec::Capabilities& caps) {
  CapSets s;
  s.bounding = TRY(resolve_set(caps.bounding, "bounding"));
  s.effective = TRY(resolve_set(caps.effective, "effective"));
  s.inheritable = TRY(resolve_set(caps.inheritable, "inheritable"));
  s.permitted = TRY(resolve_set(caps.permitted, "permitted"));
  s.ambient = TRY(resolve_set(caps.ambient, "ambient"));
  return s;
}

int drop_bounding(const CapSets& caps) {
  // Walks the kernel's own set rather than last_cap(): no /proc needed in the child.
  for (int cap = 0; cap <= kMaxCap; ++cap) {
    int in_set = ::prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
    if (in_set < 0) {
      if (errno == EINVAL) break;  // past the last capability
      return -1;
    }
    if (in_set == 1 && !(caps.bounding & (uint64_t{1} << cap)) &&
        ::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
      return -1;
  }
  return 0;
}

int set_keep_caps(bool keep) { return ::prctl(PR_SET_KEEPCAPS, keep ? 1 : 0, 0, 0, 0); }

int get_caps(CapSets* caps) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (::syscall(SYS_capget, &header, data) < 0) return -1;
  caps->effective = caps->permitted = caps->inheritable = 0;
  for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; ++i) {
    caps->effective |= uint64_t{data[i].effective} << (32 * i);
    caps->permitted |= uint64_t{data[i].permitted} << (32 * i);
    caps->inheritable |= uint64_t{data[i].inheritable} << (32 * i);
  }
  return 0;
}

int set_caps(const CapSets& caps) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; ++i) {
    data[i].effective = static_cast<uint32_t>(caps.effective >> (32 * i));
    data[i].permitted = static_cast<uint32_t>(caps.permitted >> (32 * i));
    data[i].inheritable = static_cast<uint32_t>(caps.inheritable >> (32 * i));
  }
  return ::syscall(SYS_capset, &header, data) < 0 ? -1 : 0;
}

int apply_caps(const CapSets& caps) {
  if (set_caps(caps) != 0) return -1;

  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) {
    if (errno == EINVAL && caps.ambient == 0) return 0;  // kernel without ambient caps
    return -1;
  }
  // The kernel only allows ambient caps that are permitted and inheritable; runc
  // warns and goes on for the others, so they are skipped here too.
  uint64_t ambient = caps.ambient & caps.permitted & caps.inheritable;
  for (int cap = 0; cap <= kMaxCap; ++cap) {
    if (!(ambient & (uint64_t{1} << cap))) continue;
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0) return -1;
  }
  return 0;
}

}  // namespace berth::runtime
