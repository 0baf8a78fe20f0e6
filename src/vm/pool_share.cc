#include "vm/pool_share.h"

#include "base/file.h"
#include "base/strings.h"

#include <ftw.h>
#include <sys/mount.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace berth::vm {

Result<void> make_shared_dir(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return fail_errno("creating " + dir);
  if (::mount(dir.c_str(), dir.c_str(), nullptr, MS_BIND, nullptr) != 0) return fail_errno("bind-mounting " + dir + " on itself");
  // A peer group of its own: mounts below it reach virtiofsd's namespace and
  // nowhere else.
  if (::mount(nullptr, dir.c_str(), nullptr, MS_PRIVATE, nullptr) != 0 ||
      ::mount(nullptr, dir.c_str(), nullptr, MS_SHARED, nullptr) != 0) {
    int err = errno;
    ::umount2(dir.c_str(), MNT_DETACH);
    return fail_errno("making " + dir + " a shared mount", err);
  }
  return {};
}

Result<void> bind_into(const std::string& dir, const std::string& name, const std::string& source, bool readonly) {
  std::string target = dir + "/" + name;
  if (::mkdir(target.c_str(), 0755) != 0 && errno != EEXIST) return fail_errno("creating " + target);
  if (::mount(source.c_str(), target.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0)
    return fail_errno("bind-mounting " + source + " into the pooled VM's share");
  if (readonly && ::mount(nullptr, target.c_str(), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr) != 0) {
    int err = errno;
    ::umount2(target.c_str(), MNT_DETACH);
    return fail_errno("making " + target + " read-only", err);
  }
  return {};
}

void detach_tree(const std::string& dir) { ::umount2(dir.c_str(), MNT_DETACH); }

namespace {
int remove_entry(const char* path, const struct stat*, int type, FTW*) {
  if (type == FTW_DP) ::rmdir(path);
  else ::unlink(path);
  return 0;
}

// mountinfo's escaping of a mount point (octal for space, tab, newline, backslash).
std::string mountinfo_escape(const std::string& path) {
  std::string out;
  for (char c : path) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\\') {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\%03o", static_cast<unsigned char>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

bool has_mounts_under(const std::string& dir) {
  auto text = read_file("/proc/self/mountinfo");
  if (!text) return true;  // cannot tell: do not remove
  std::string want = mountinfo_escape(dir);
  for (auto line : split(*text, '\n')) {
    auto fields = split(line, ' ');
    if (fields.size() < 5) continue;
    std::string_view mp = fields[4];
    if (mp == want || (mp.size() > want.size() && mp.substr(0, want.size()) == want && mp[want.size()] == '/')) return true;
  }
  return false;
}

}  // namespace

void remove_dir_same_fs(const std::string& dir) {
  // A bind of a volume on the same filesystem would look like our own files:
  // with anything still mounted below, nothing is removed.
  if (has_mounts_under(dir)) return;
  ::nftw(dir.c_str(), remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

}  // namespace berth::vm
