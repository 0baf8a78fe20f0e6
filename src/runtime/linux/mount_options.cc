#include "runtime/linux/mount_options.h"

#include <linux/mount.h>
#include <sys/mount.h>

#include <cstring>

namespace berth::runtime {
namespace {

struct FlagOption {
  const char* name;
  bool clear;
  unsigned long flag;
};

// clang-format off
const FlagOption kFlags[] = {
    {"async", true, MS_SYNCHRONOUS}, {"atime", true, MS_NOATIME}, {"bind", false, MS_BIND},
    {"defaults", false, 0}, {"dev", true, MS_NODEV}, {"diratime", true, MS_NODIRATIME},
    {"dirsync", false, MS_DIRSYNC}, {"exec", true, MS_NOEXEC}, {"mand", false, MS_MANDLOCK},
    {"noatime", false, MS_NOATIME}, {"nodev", false, MS_NODEV}, {"nodiratime", false, MS_NODIRATIME},
    {"noexec", false, MS_NOEXEC}, {"nomand", true, MS_MANDLOCK}, {"norelatime", true, MS_RELATIME},
    {"nostrictatime", true, MS_STRICTATIME}, {"nosuid", false, MS_NOSUID},
    {"rbind", false, MS_BIND | MS_REC}, {"relatime", false, MS_RELATIME},
    {"remount", false, MS_REMOUNT}, {"ro", false, MS_RDONLY}, {"rw", true, MS_RDONLY},
    {"strictatime", false, MS_STRICTATIME}, {"suid", true, MS_NOSUID}, {"sync", false, MS_SYNCHRONOUS},
};

const FlagOption kPropagation[] = {
    {"private", false, MS_PRIVATE}, {"rprivate", false, MS_PRIVATE | MS_REC},
    {"shared", false, MS_SHARED}, {"rshared", false, MS_SHARED | MS_REC},
    {"slave", false, MS_SLAVE}, {"rslave", false, MS_SLAVE | MS_REC},
    {"unbindable", false, MS_UNBINDABLE}, {"runbindable", false, MS_UNBINDABLE | MS_REC},
};

struct AttrOption {
  const char* name;
  bool clear;
  unsigned long long attr;
};

const AttrOption kRecursiveAttrs[] = {
    {"rro", false, MOUNT_ATTR_RDONLY}, {"rrw", true, MOUNT_ATTR_RDONLY},
    {"rnosuid", false, MOUNT_ATTR_NOSUID}, {"rsuid", true, MOUNT_ATTR_NOSUID},
    {"rnodev", false, MOUNT_ATTR_NODEV}, {"rdev", true, MOUNT_ATTR_NODEV},
    {"rnoexec", false, MOUNT_ATTR_NOEXEC}, {"rexec", true, MOUNT_ATTR_NOEXEC},
    {"rnodiratime", false, MOUNT_ATTR_NODIRATIME}, {"rdiratime", true, MOUNT_ATTR_NODIRATIME},
    {"rrelatime", false, MOUNT_ATTR_RELATIME}, {"rnorelatime", true, MOUNT_ATTR_RELATIME},
    {"rnoatime", false, MOUNT_ATTR_NOATIME}, {"ratime", true, MOUNT_ATTR_NOATIME},
    {"rstrictatime", false, MOUNT_ATTR_STRICTATIME}, {"rnostrictatime", true, MOUNT_ATTR_STRICTATIME},
};
// clang-format on

}  // namespace

bool MountOptions::is_bind() const { return (flags & MS_BIND) != 0; }

MountOptions parse_mount_options(const std::vector<std::string>& options) {
  MountOptions out;
  for (const auto& opt : options) {
    bool matched = false;
    for (const auto& f : kFlags) {
      if (opt == f.name) {
        if (f.clear) out.flags &= ~f.flag;
        else out.flags |= f.flag;
        matched = true;
        break;
      }
    }
    if (matched) continue;
    for (const auto& p : kPropagation) {
      if (opt == p.name) {
        out.propagation = p.flag;
        matched = true;
        break;
      }
    }
    if (matched) continue;
    for (const auto& a : kRecursiveAttrs) {
      if (opt == a.name) {
        if (a.clear) out.attr_clr |= a.attr;
        else out.attr_set |= a.attr;
        matched = true;
        break;
      }
    }
    if (matched) continue;
    if (opt == "tmpcopyup" || opt == "idmap" || opt == "ridmap")
      continue;  // Handled (or refused) by the mount code, not the kernel.
    if (!out.data.empty()) out.data += ',';
    out.data += opt;
  }
  return out;
}

std::vector<std::string> known_mount_options() {
  std::vector<std::string> out;
  for (const auto& f : kFlags) out.push_back(f.name);
  for (const auto& p : kPropagation) out.push_back(p.name);
  for (const auto& a : kRecursiveAttrs) out.push_back(a.name);
  return out;
}

unsigned long propagation_flag(const std::string& name) {
  for (const auto& p : kPropagation)
    if (name == p.name) return p.flag;
  return 0;
}

}  // namespace berth::runtime
