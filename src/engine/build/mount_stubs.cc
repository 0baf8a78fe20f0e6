// MountStubs: found in the merged rootfs (resolved as in a chroot), removed
// from the upper directory without following a symlink there.
#include "engine/build/mount_stubs.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>

#include "base/strings.h"
#include "base/unique_fd.h"
#include "sys/syscalls.h"

namespace berth::engine {
namespace {

std::string fd_path(int fd) {
  char buf[4096];
  std::string link = "/proc/self/fd/" + std::to_string(fd);
  ssize_t n = ::readlink(link.c_str(), buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

size_t depth(const std::string& p) { return static_cast<size_t>(std::count(p.begin(), p.end(), '/')); }

// The directory holding rel below top, opened without following any symlink;
// name gets rel's last element.
UniqueFd open_parent(int top, const std::string& rel, std::string& name) {
  auto slash = rel.rfind('/');
  name = slash == std::string::npos ? rel : rel.substr(slash + 1);
  std::string dir = slash == std::string::npos ? "." : rel.substr(0, slash);
  open_how how{};
  how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV;
  return UniqueFd(sys::openat2(top, dir.c_str(), &how));
}

// An empty directory with nothing of the lower layers hidden under it.
bool empty_plain_dir(int parent, const std::string& name) {
  int fd = ::openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return false;
  char v[4];
  bool opaque = ::fgetxattr(fd, "trusted.overlay.opaque", v, sizeof v) > 0 ||
                ::fgetxattr(fd, "user.overlay.opaque", v, sizeof v) > 0;
  DIR* d = ::fdopendir(fd);
  if (!d) {
    ::close(fd);
    return false;
  }
  bool empty = true;
  while (auto* e = ::readdir(d)) {
    std::string_view n = e->d_name;
    if (n != "." && n != "..") {
      empty = false;
      break;
    }
  }
  ::closedir(d);
  return empty && !opaque;
}

}  // namespace

Result<MountStubs> MountStubs::find(const std::string& root, const std::vector<std::string>& targets) {
  UniqueFd top(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!top) return fail_errno("opening the RUN's rootfs " + root);
  const std::string top_path = fd_path(top.get());
  MountStubs out;
  auto add_created = [&](const std::string& p) {
    if (std::find(out.created_.begin(), out.created_.end(), p) == out.created_.end()) out.created_.push_back(p);
  };
  for (const auto& target : targets) {
    auto parts = split(target, '/', true);
    std::string cur;  // the existing part of the target, resolved, relative
    for (size_t k = 0; k < parts.size(); ++k) {
      std::string probe = cur.empty() ? parts[k] : cur + "/" + parts[k];
      open_how how{};
      how.flags = O_PATH | O_CLOEXEC;
      how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
      UniqueFd fd(sys::openat2(top.get(), probe.c_str(), &how));
      if (!fd) {
        if (errno != ENOENT) break;  // the runtime will refuse the mount itself
        std::string made = probe;
        add_created(made);
        for (size_t j = k + 1; j < parts.size(); ++j) add_created(made += "/" + parts[j]);
        std::string above;
        for (const auto& part : split(cur, '/', true)) {
          above = above.empty() ? part : above + "/" + part;
          if (std::any_of(out.parents_.begin(), out.parents_.end(), [&](const Parent& p) { return p.path == above; }))
            continue;
          Parent p{above, {}};
          if (::fstatat(top.get(), above.c_str(), &p.before, AT_SYMLINK_NOFOLLOW) == 0) out.parents_.push_back(p);
        }
        break;
      }
      std::string real = fd_path(fd.get());
      if (real == top_path) cur.clear();
      else if (real.starts_with(top_path + "/")) cur = real.substr(top_path.size() + 1);
      else break;  // cannot say where it is: leave it
      struct stat st {};
      if (::fstat(fd.get(), &st) != 0 || (!S_ISDIR(st.st_mode) && k + 1 < parts.size())) break;
    }
  }
  return out;
}

void MountStubs::remove(const std::string& upper, bool overlay) const {
  UniqueFd top(::open(upper.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!top) return;
  auto created = created_;
  std::stable_sort(created.begin(), created.end(), [](const auto& a, const auto& b) { return depth(a) > depth(b); });
  for (const auto& rel : created) {
    std::string name;
    UniqueFd parent = open_parent(top.get(), rel, name);
    struct stat st {};
    if (!parent || ::fstatat(parent.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (S_ISDIR(st.st_mode) && empty_plain_dir(parent.get(), name)) ::unlinkat(parent.get(), name.c_str(), AT_REMOVEDIR);
    else if (S_ISREG(st.st_mode) && st.st_size == 0) ::unlinkat(parent.get(), name.c_str(), 0);
  }
  auto parents = parents_;
  std::stable_sort(parents.begin(), parents.end(), [](const auto& a, const auto& b) { return depth(a.path) > depth(b.path); });
  for (const auto& p : parents) {
    std::string name;
    UniqueFd parent = open_parent(top.get(), p.path, name);
    struct stat st {};
    if (!parent || ::fstatat(parent.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode)) continue;
    bool unchanged = st.st_mode == p.before.st_mode && st.st_uid == p.before.st_uid && st.st_gid == p.before.st_gid;
    // An overlay copy-up made only for the mkdir: without it the lower one shows again, times and all.
    if (overlay && unchanged && empty_plain_dir(parent.get(), name) &&
        ::unlinkat(parent.get(), name.c_str(), AT_REMOVEDIR) == 0)
      continue;
    const struct timespec times[2] = {p.before.st_atim, p.before.st_mtim};
    ::utimensat(parent.get(), name.c_str(), times, AT_SYMLINK_NOFOLLOW);
  }
}

}  // namespace berth::engine
