#include "buildfs/tree_copy.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "base/log.h"
#include "base/unique_fd.h"
#include "layer/fs_util.h"
#include "sys/syscalls.h"

namespace berth::buildfs {
namespace {

constexpr size_t kChunk = 256 * 1024;

// Whole seconds, atime = mtime: what Docker's tar round trip leaves.
void copied_times(const struct stat& st, timespec out[2]) {
  out[0] = {st.st_mtim.tv_sec, 0};
  out[1] = out[0];
}

}  // namespace

TreeCopier::TreeCopier(const CopyOptions& options, int top_dst)
    : options_(options), top_dst_(top_dst), buf_(new char[kChunk]) {}

Owner TreeCopier::owner_for(const struct stat& st) const {
  if (options_.chown) return *options_.chown;
  if (options_.preserve_owner) return Owner{st.st_uid, st.st_gid};
  return Owner{};
}

mode_t TreeCopier::mode_for(const struct stat& st) const {
  return options_.chmod ? (*options_.chmod & 07777) : (st.st_mode & 07777);
}

Result<void> TreeCopier::created_dir(int fd) const {
  Owner o = options_.chown.value_or(Owner{});
  if (::fchown(fd, o.uid, o.gid) != 0) return fail_errno("setting the owner of a created directory");
  if (::fchmod(fd, options_.chmod ? (*options_.chmod & 07777) : 0755) != 0)
    return fail_errno("setting the mode of a created directory");
  return {};
}

template <class Op>
Result<bool> TreeCopier::make(int dst_dir, const std::string& dst_name, bool want_dir, const std::string& rel,
                              Op&& op) const {
  // Create first: only a clash (an existing entry) pays for a lookup.
  if (op() == 0) return true;
  if (errno != EEXIST) return fail_errno("creating " + rel);
  struct stat st;
  if (::fstatat(dst_dir, dst_name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return fail_errno("lstat " + rel);
  if (want_dir && S_ISDIR(st.st_mode)) return false;  // merged
  TRYV_CTX(layer::remove_at(dst_dir, dst_name), "replacing " + rel);
  if (op() != 0) return fail_errno("creating " + rel);
  return true;
}

// Owner before mode (chown clears setuid and file capabilities), then the times.
Result<void> TreeCopier::attributes(int fd, const struct stat& st, const std::string& rel) const {
  Owner o = owner_for(st);
  if (::fchown(fd, o.uid, o.gid) != 0) return fail_errno("setting the owner of " + rel);
  if (::fchmod(fd, mode_for(st)) != 0) return fail_errno("setting the mode of " + rel);
  timespec t[2];
  copied_times(st, t);
  if (::futimens(fd, t) != 0) return fail_errno("setting the times of " + rel);
  return {};
}

Result<bool> TreeCopier::hard_link(const struct stat& st, int dst_dir, const std::string& dst_name,
                                   const std::string& rel) {
  auto [it, first] = links_.emplace(std::pair{st.st_dev, st.st_ino}, rel);
  if (first) return false;
  auto [parent, leaf] = layer::split_parent(it->second);
  // Every directory below top_dst on that path was made or merged by this
  // copy; resolving without symlinks keeps it so.
  open_how how{};
  how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  UniqueFd pfd(parent.empty() ? ::openat(top_dst_, ".", O_PATH | O_DIRECTORY | O_CLOEXEC)
                              : sys::openat2(top_dst_, parent.c_str(), &how));
  if (!pfd) return fail_errno("opening the directory of " + it->second + " to link " + rel + " to it");
  TRY(make(dst_dir, dst_name, false, rel,
           [&] { return ::linkat(pfd.get(), leaf.c_str(), dst_dir, dst_name.c_str(), 0); }));
  return true;
}

Result<void> TreeCopier::file(int src_dir, const std::string& src_name, const struct stat& lst, int dst_dir,
                              const std::string& dst_name, const std::string& rel) {
  // O_NONBLOCK: should a FIFO have taken its place since the stat, do not hang on it.
  UniqueFd in(::openat(src_dir, src_name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  struct stat st;
  if (!in || ::fstat(in.get(), &st) != 0) return fail_errno("opening " + rel + " to copy it");
  if (!S_ISREG(st.st_mode) || st.st_ino != lst.st_ino)
    return fail(Errc::Conflict, rel + " changed while being copied");
  UniqueFd out;
  TRY(make(dst_dir, dst_name, false, rel, [&] {
    out.reset(::openat(dst_dir, dst_name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    return out ? 0 : -1;
  }));
  // copy_file_range shares extents where the filesystem can; else plain
  // reads and writes. Up to the size the stat gave (no call to learn of the
  // end), as a tar of it would hold.
  bool plain = false;
  for (off_t left = st.st_size; left > 0;) {
    size_t want = static_cast<size_t>(std::min<off_t>(left, plain ? static_cast<off_t>(kChunk) : off_t{1} << 30));
    ssize_t n = plain ? ::read(in.get(), buf_.get(), want)
                      : ::copy_file_range(in.get(), nullptr, out.get(), nullptr, want, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && !plain && (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)) {
      plain = true;
      continue;
    }
    if (n < 0) return fail_errno("copying " + rel);
    if (n == 0) break;  // it shrank since the stat
    left -= n;
    if (plain) {
      for (ssize_t done = 0; done < n;) {
        ssize_t w = ::write(out.get(), buf_.get() + done, static_cast<size_t>(n - done));
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return fail_errno("writing " + rel);
        done += w;
      }
    }
  }
  TRYV(attributes(out.get(), st, rel));
  // After the owner: a chown would clear it.
  char cap[256];
  ssize_t n = ::fgetxattr(in.get(), "security.capability", cap, sizeof cap);
  if (n > 0 && ::fsetxattr(out.get(), "security.capability", cap, static_cast<size_t>(n), 0) != 0) {
    if (errno != ENOTSUP && errno != EPERM) return fail_errno("setting the capabilities of " + rel);
    log::warn("COPY: {}: skipping security.capability: {}", rel, std::strerror(errno));
  }
  return {};
}

Result<void> TreeCopier::entry(int src_dir, const std::string& src_name, const struct stat& st, int dst_dir,
                               const std::string& dst_name, const std::string& rel) {
  if (S_ISSOCK(st.st_mode)) {  // a tar cannot hold one: Docker's copy skips it too
    log::warn("COPY: skipping socket {}", rel);
    return {};
  }
  ++written_;
  if (!S_ISDIR(st.st_mode) && st.st_nlink > 1 && TRY(hard_link(st, dst_dir, dst_name, rel))) return {};
  if (S_ISREG(st.st_mode)) return file(src_dir, src_name, st, dst_dir, dst_name, rel);
  const char* name = dst_name.c_str();
  if (S_ISDIR(st.st_mode)) {
    UniqueFd src(::openat(src_dir, src_name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!src) return fail_errno("opening " + rel + " to copy it");
    TRY(make(dst_dir, dst_name, true, rel, [&] { return ::mkdirat(dst_dir, name, 0700); }));
    UniqueFd dst(::openat(dst_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dst) return fail_errno("opening directory " + rel);
    TRYV(children(src.get(), dst.get(), rel));
    // An existing directory takes the source's attributes too, as Docker's
    // untar gives them; set last, so a read-only mode does not stop the
    // entries below and nothing changes the times afterwards.
    return attributes(dst.get(), st, rel);
  }
  if (S_ISLNK(st.st_mode)) {
    char target[PATH_MAX];
    ssize_t n = ::readlinkat(src_dir, src_name.c_str(), target, sizeof target - 1);
    if (n < 0) return fail_errno("reading symlink " + rel);
    target[n] = '\0';
    // The target is data: copied as it is, resolved (inside the root) only by whoever follows it.
    TRY(make(dst_dir, dst_name, false, rel, [&] { return ::symlinkat(target, dst_dir, name); }));
    Owner o = owner_for(st);
    if (::fchownat(dst_dir, name, o.uid, o.gid, AT_SYMLINK_NOFOLLOW) != 0)
      return fail_errno("setting the owner of " + rel);
    timespec t[2];
    copied_times(st, t);
    if (::utimensat(dst_dir, name, t, AT_SYMLINK_NOFOLLOW) != 0) return fail_errno("setting the times of " + rel);
    return {};
  }
  // Character and block devices, FIFOs.
  TRY(make(dst_dir, dst_name, false, rel, [&] { return ::mknodat(dst_dir, name, (st.st_mode & S_IFMT) | 0600, st.st_rdev); }));
  UniqueFd fd(::openat(dst_dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return fail_errno("opening " + rel);
  // fchown/fchmod do not take O_PATH fds; the /proc path of one names exactly this inode.
  std::string self = "/proc/self/fd/" + std::to_string(fd.get());
  Owner o = owner_for(st);
  if (::chown(self.c_str(), o.uid, o.gid) != 0) return fail_errno("setting the owner of " + rel);
  if (::chmod(self.c_str(), mode_for(st)) != 0) return fail_errno("setting the mode of " + rel);
  timespec t[2];
  copied_times(st, t);
  if (::utimensat(dst_dir, name, t, AT_SYMLINK_NOFOLLOW) != 0) return fail_errno("setting the times of " + rel);
  return {};
}

Result<void> TreeCopier::children(int src, int dst, const std::string& prefix) {
  auto names = TRY_CTX(layer::list_dir(src), "reading directory " + (prefix.empty() ? std::string(".") : prefix));
  for (const auto& name : names) {
    std::string rel = prefix.empty() ? name : prefix + "/" + name;
    struct stat st;
    if (::fstatat(src, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return fail_errno("lstat " + rel);
    TRYV(entry(src, name, st, dst, name, rel));
  }
  return {};
}

}  // namespace berth::buildfs
