#include "vmagent/shares.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace berth::vmagent {
namespace {

}  // namespace

Result<void> mkdir_all(const std::string& path) {
  for (size_t i = 1; i <= path.size(); ++i) {
    if (i != path.size() && path[i] != '/') continue;
    std::string part = path.substr(0, i);
    if (::mkdir(part.c_str(), 0755) != 0 && errno != EEXIST) return fail_errno("creating " + part);
  }
  return {};
}

namespace {

void remove_at(int dirfd, const char* name) {
  if (::unlinkat(dirfd, name, 0) == 0 || (errno != EISDIR && errno != EPERM)) return;
  int fd = ::openat(dirfd, name, O_DIRECTORY | O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return;
  if (DIR* d = ::fdopendir(fd)) {
    while (dirent* e = ::readdir(d)) {
      std::string_view n = e->d_name;
      if (n == "." || n == "..") continue;
      remove_at(fd, e->d_name);
    }
    ::closedir(d);
  } else {
    ::close(fd);
  }
  ::unlinkat(dirfd, name, AT_REMOVEDIR);
}

}  // namespace

Result<void> mount_share(const vmproto::Share& s) {
  TRYV(mkdir_all(s.target));
  unsigned long flags = s.readonly ? MS_RDONLY : 0;
  const char* data = nullptr;
  // 9p: the virtio transport, Linux semantics (owners, modes, xattrs).
  if (s.fstype == "9p") data = "trans=virtio,version=9p2000.L,msize=262144,cache=mmap";
  if (::mount(s.tag.c_str(), s.target.c_str(), s.fstype.c_str(), flags, data) != 0) {
    int err = errno;
    return fail_errno("mounting the " + s.fstype + " share \"" + s.tag + "\" on " + s.target +
                          (err == ENOENT || err == EINVAL ? " (is the device with this tag attached?)" : ""),
                      err);
  }
  return {};
}

void unmount_shares(const std::vector<std::string>& targets) {
  for (auto it = targets.rbegin(); it != targets.rend(); ++it) ::umount2(it->c_str(), MNT_DETACH);
}

void remove_tree(const std::string& path) { remove_at(AT_FDCWD, path.c_str()); }

}  // namespace berth::vmagent
