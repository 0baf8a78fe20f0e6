// copy_tree: the native snapshotter's only expensive step.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "base/log.h"
#include "base/unique_fd.h"
#include "snapshot/fs_tree.h"

namespace berth::snapshot {
namespace {

using InodeMap = std::map<std::pair<dev_t, ino_t>, std::string>;

Result<void> copy_xattrs(const std::string& src, const std::string& dst) {
  ssize_t len = ::llistxattr(src.c_str(), nullptr, 0);
  if (len < 0) {
    if (errno == ENOTSUP) return {};
    return fail_errno("listing xattrs of " + src);
  }
  std::string names(static_cast<size_t>(len), '\0');
  len = ::llistxattr(src.c_str(), names.data(), names.size());
  if (len < 0) return fail_errno("listing xattrs of " + src);
  names.resize(static_cast<size_t>(len));
  for (size_t pos = 0; pos < names.size();) {
    std::string name = names.c_str() + pos;
    pos += name.size() + 1;
    ssize_t vlen = ::lgetxattr(src.c_str(), name.c_str(), nullptr, 0);
    if (vlen < 0) return fail_errno("reading xattr " + name + " of " + src);
    std::string value(static_cast<size_t>(vlen), '\0');
    vlen = ::lgetxattr(src.c_str(), name.c_str(), value.data(), value.size());
    if (vlen < 0) return fail_errno("reading xattr " + name + " of " + src);
    if (::lsetxattr(dst.c_str(), name.c_str(), value.data(), static_cast<size_t>(vlen), 0) != 0) {
      // Some namespaces (security.selinux on a non-SELinux fs) cannot be set here.
      if (errno == ENOTSUP) {
        log::warn("skipping xattr {} of {}: not supported on the destination", name, src);
        continue;
      }
      return fail_errno("setting xattr " + name + " on " + dst);
    }
  }
  return {};
}

Result<void> copy_data(const std::string& src, const std::string& dst, const struct stat& st) {
  UniqueFd in(::open(src.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!in) return fail_errno("opening " + src);
  UniqueFd out(::open(dst.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!out) return fail_errno("creating " + dst);
  off_t left = st.st_size;
  while (left > 0) {
    // copy_file_range shares extents on reflink filesystems and stays in the kernel.
    ssize_t n = ::copy_file_range(in.get(), nullptr, out.get(), nullptr, static_cast<size_t>(left), 0);
    if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP)) {
      char buf[65536];
      n = ::read(in.get(), buf, sizeof buf);
      if (n > 0 && ::write(out.get(), buf, static_cast<size_t>(n)) != n)
        return fail_errno("writing " + dst);
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno("copying " + src + " to " + dst);
    }
    if (n == 0) break;  // file shrank while copying
    left -= n;
  }
  return {};
}

// Owner first: chown clears set-id bits, so the mode comes after it.
Result<void> copy_attrs(const std::string& src, const std::string& dst, const struct stat& st) {
  if (::lchown(dst.c_str(), st.st_uid, st.st_gid) != 0) return fail_errno("chown " + dst);
  if (!S_ISLNK(st.st_mode) && ::chmod(dst.c_str(), st.st_mode & 07777) != 0)
    return fail_errno("chmod " + dst);
  TRYV(copy_xattrs(src, dst));
  struct timespec times[2] = {st.st_atim, st.st_mtim};
  if (::utimensat(AT_FDCWD, dst.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0)
    return fail_errno("setting times of " + dst);
  return {};
}

Result<void> copy_entry(const std::string& src, const std::string& dst, InodeMap& links);

Result<void> copy_dir(const std::string& src, const std::string& dst, const struct stat& st,
                      InodeMap& links) {
  if (::mkdir(dst.c_str(), 0700) != 0) return fail_errno("creating directory " + dst);
  DIR* dir = ::opendir(src.c_str());
  if (!dir) return fail_errno("opening directory " + src);
  std::vector<std::string> names;
  errno = 0;
  while (struct dirent* ent = ::readdir(dir)) {
    std::string name = ent->d_name;
    if (name != "." && name != "..") names.push_back(std::move(name));
  }
  int err = errno;
  ::closedir(dir);
  if (err != 0) return fail_errno("reading directory " + src, err);
  for (const auto& name : names) TRYV(copy_entry(src + "/" + name, dst + "/" + name, links));
  // Times last: creating the children changed the directory's mtime.
  return copy_attrs(src, dst, st);
}

Result<void> copy_entry(const std::string& src, const std::string& dst, InodeMap& links) {
  struct stat st;
  if (::lstat(src.c_str(), &st) != 0) return fail_errno("inspecting " + src);
  if (S_ISDIR(st.st_mode)) return copy_dir(src, dst, st, links);
  if (st.st_nlink > 1) {
    auto [it, fresh] = links.try_emplace({st.st_dev, st.st_ino}, dst);
    if (!fresh) {
      if (::link(it->second.c_str(), dst.c_str()) != 0)
        return fail_errno("hard-linking " + dst + " to " + it->second);
      return {};
    }
  }
  if (S_ISREG(st.st_mode)) {
    TRYV(copy_data(src, dst, st));
  } else if (S_ISLNK(st.st_mode)) {
    std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
    ssize_t n = ::readlink(src.c_str(), target.data(), target.size());
    if (n < 0) return fail_errno("reading link " + src);
    target.resize(static_cast<size_t>(n));
    if (::symlink(target.c_str(), dst.c_str()) != 0) return fail_errno("creating symlink " + dst);
  } else {
    // Character and block devices (including overlay whiteouts), fifos, sockets.
    if (::mknod(dst.c_str(), st.st_mode, st.st_rdev) != 0) return fail_errno("creating node " + dst);
  }
  return copy_attrs(src, dst, st);
}

}  // namespace

Result<void> copy_tree(const std::string& src, const std::string& dst) {
  InodeMap links;
  return copy_entry(src, dst, links);
}

}  // namespace berth::snapshot
