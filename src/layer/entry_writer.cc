#include "layer/entry_writer.h"
#include "layer/archive_error.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "base/log.h"
#include "base/unique_fd.h"

namespace berth::layer {
namespace {

bool later(const timespec& a, const timespec& b) {
  return a.tv_sec > b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec > b.tv_nsec);
}

}  // namespace

EntryWriter::EntryWriter(int root, EntryPolicy policy)
    : policy_(std::move(policy)),
      is_root_(::geteuid() == 0),
      resolver_(root, ResolveOptions{policy_.clamp_dotdot, policy_.owner, policy_.naming}) {}

std::string EntryWriter::under_base(const std::string& rel) const {
  if (policy_.base.empty()) return rel;
  return rel.empty() ? policy_.base : policy_.base + "/" + rel;
}

Result<int> EntryWriter::dir(const std::string& rel, const std::string& entry, bool create) {
  return resolver_.parent_dir(under_base(rel), entry, create);
}

Result<std::string> EntryWriter::admit(archive_entry* e) {
  ++entries_;
  const auto& n = policy_.naming;
  const char* raw = archive_entry_pathname(e);
  if (!raw) return n.refuse("?", "entry without a name");
  auto path = clean_path(raw);
  if (!path) return n.refuse(raw, "path escapes " + n.root);
  if (archive_entry_size_is_set(e)) {
    auto size = static_cast<uint64_t>(std::max<la_int64_t>(archive_entry_size(e), 0));
    if (size > policy_.max_entry_size)
      return n.refuse(*path, "size " + std::to_string(size) + " exceeds the per-entry limit of " +
                                 std::to_string(policy_.max_entry_size));
    total_ += size;
    if (total_ > policy_.max_total_size)
      return n.refuse(*path, n.noun + " size exceeds the limit of " + std::to_string(policy_.max_total_size));
  }
  // An owner that cannot be mapped refuses the entry before anything of it is written.
  if (policy_.map_owner && !policy_.owner && is_root_)
    TRYV_CTX(policy_.map_owner(Owner{static_cast<uid_t>(archive_entry_uid(e)), static_cast<gid_t>(archive_entry_gid(e))}),
             n.entry(*path));
  return std::move(*path);
}

template <class Op>
Result<bool> EntryWriter::create(int dirfd, const std::string& leaf, const std::string& path, bool want_dir,
                                 Op&& op) {
  // Create first: only a clash (an earlier entry, an existing file, the
  // parent's copy in a plain snapshot) pays for a lookup.
  if (op() == 0) return true;
  const auto& n = policy_.naming;
  if (errno != EEXIST) return fail_errno(n.entry(path) + ": creating it");
  struct stat st;
  if (::fstatat(dirfd, leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    bool is_dir = S_ISDIR(st.st_mode);
    if (want_dir && is_dir) return false;
    if (policy_.no_overwrite_dir_non_dir && is_dir != want_dir)
      return n.refuse(path, is_dir ? "cannot overwrite directory \"/" + under_base(path) + "\" with non-directory"
                                   : "cannot overwrite non-directory \"/" + under_base(path) + "\" with directory");
    TRYV(remove_at(dirfd, leaf));  // only the leaf: a cached parent fd stays valid
  }
  if (op() != 0) return fail_errno(n.entry(path) + ": creating it");
  return true;
}

Result<void> EntryWriter::write_data(archive* a, int fd, const std::string& path) {
  const void* buf;
  size_t len;
  la_int64_t offset;
  off_t pos = 0;
  for (;;) {
    int r = archive_read_data_block(a, &buf, &len, &offset);
    if (r == ARCHIVE_EOF) return {};
    if (r != ARCHIVE_OK)
      return fail(Errc::InvalidArgument, policy_.naming.entry(path) + ": reading data: " + archive_message(a));
    if (offset != pos && ::lseek(fd, offset, SEEK_SET) < 0)  // a sparse hole
      return fail_errno(policy_.naming.entry(path) + ": seeking");
    const char* p = static_cast<const char*>(buf);
    for (size_t left = len; left > 0;) {
      ssize_t n = ::write(fd, p, left);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return fail_errno(policy_.naming.entry(path) + ": writing");
      p += n;
      left -= static_cast<size_t>(n);
    }
    pos = offset + static_cast<off_t>(len);
  }
}

Result<void> EntryWriter::metadata(archive_entry* e, int pfd, const std::string& leaf, int fd,
                                   const std::string& path) {
  const auto& n = policy_.naming;
  auto type = archive_entry_filetype(e);
  std::optional<Owner> owner = policy_.owner;
  if (!owner && is_root_)
    owner = Owner{static_cast<uid_t>(archive_entry_uid(e)), static_cast<gid_t>(archive_entry_gid(e))};
  if (owner && !policy_.owner && policy_.map_owner) owner = TRY_CTX(policy_.map_owner(*owner), n.entry(path));
  // Owner before mode (chown clears setuid) and before xattrs (it clears security.capability).
  if (owner) {
    int r = fd >= 0 ? ::fchown(fd, owner->uid, owner->gid)
                    : ::fchownat(pfd, leaf.c_str(), owner->uid, owner->gid, AT_SYMLINK_NOFOLLOW);
    if (r != 0) return fail_errno(n.entry(path) + ": setting the owner");
  }
  if (type != AE_IFLNK) {
    mode_t mode = archive_entry_perm(e) & 07777;
    int r = fd >= 0 ? ::fchmod(fd, mode) : ::fchmodat(pfd, leaf.c_str(), mode, AT_SYMLINK_NOFOLLOW);
    if (r != 0) return fail_errno(n.entry(path) + ": setting the mode");
  }
  archive_entry_xattr_reset(e);
  const char* name;
  const void* value;
  size_t size;
  std::string proc_path;
  while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
    std::string_view key = name;
    // Only whiteout entries may steer overlayfs (redirects, metacopy, opaque).
    if (key.starts_with("trusted.overlay.")) continue;
    int r;
    if (fd >= 0) {
      r = ::fsetxattr(fd, name, value, size, 0);
    } else {
      if (proc_path.empty()) proc_path = "/proc/self/fd/" + std::to_string(pfd) + "/" + leaf;
      r = ::lsetxattr(proc_path.c_str(), name, value, size, 0);
    }
    if (r != 0) {
      if (errno != ENOTSUP && errno != EPERM) return fail_errno(n.entry(path) + ": setting xattr " + std::string(key));
      log::warn("{}: skipping xattr {}: {}", n.entry(path), key, strerror(errno));
    }
  }
  // As go-archive: the later of atime and mtime for atime.
  timespec mtime{archive_entry_mtime(e), archive_entry_mtime_nsec(e)};
  timespec atime = mtime;
  if (archive_entry_atime_is_set(e)) {
    timespec a{archive_entry_atime(e), archive_entry_atime_nsec(e)};
    if (later(a, mtime)) atime = a;
  }
  if (type == AE_IFDIR) {
    // Entries created inside would change it: set once all exist.
    auto [it, fresh] = dir_time_index_.emplace(path, dir_times_.size());
    if (fresh)
      dir_times_.push_back({path, {atime, mtime}});
    else
      dir_times_[it->second] = {path, {atime, mtime}};
    return {};
  }
  timespec times[2] = {atime, mtime};
  int r = fd >= 0 ? ::futimens(fd, times) : ::utimensat(pfd, leaf.c_str(), times, AT_SYMLINK_NOFOLLOW);
  if (r != 0) return fail_errno(n.entry(path) + ": setting the times");
  return {};
}

Result<void> EntryWriter::hard_link(int pfd, const std::string& leaf, const std::string& path, const char* target) {
  const auto& n = policy_.naming;
  auto cleaned = clean_path(target);
  if (!cleaned) return n.refuse(path, "hard link target \"" + std::string(target) + "\" escapes " + n.root);
  if (cleaned->empty()) return n.refuse(path, "hard link to " + n.root);
  auto [tparent, tleaf] = split_parent(*cleaned);
  // Resolving the target's parent replaces the cached fd: keep our own.
  UniqueFd own(::fcntl(pfd, F_DUPFD_CLOEXEC, 0));
  if (!own) return fail_errno("duplicating a directory fd");
  auto tpfd = dir(tparent, path, /*create=*/false);
  if (!tpfd) {
    if (tpfd.error().code == Errc::NotFound)
      return n.refuse(path, "hard link target \"" + *cleaned + "\" is not in " + n.root);
    return std::unexpected(std::move(tpfd).error());
  }
  struct stat st;
  if (::fstatat(*tpfd, tleaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
    return n.refuse(path, "hard link target \"" + *cleaned + "\" is not in " + n.root);
  if (S_ISDIR(st.st_mode)) return n.refuse(path, "hard link to directory \"" + *cleaned + "\"");
  // The inode carries its metadata already.
  TRY(create(own.get(), leaf, path, false, [&] { return ::linkat(*tpfd, tleaf.c_str(), own.get(), leaf.c_str(), 0); }));
  return {};
}

Result<void> EntryWriter::write(archive* a, archive_entry* e, const std::string& path) {
  const auto& n = policy_.naming;
  auto type = archive_entry_filetype(e);
  const char* hardlink = archive_entry_hardlink(e);
  bool is_dir = type == AE_IFDIR && !hardlink;
  if (path.empty()) {  // the base itself, a directory
    if (is_dir) return {};  // keeps its own attributes
    const char* raw = archive_entry_pathname(e);
    if (policy_.no_overwrite_dir_non_dir)
      return n.refuse(raw, "cannot overwrite directory \"/" + policy_.base + "\" with non-directory");
    return n.refuse(raw, "a non-directory cannot replace " + n.root);
  }
  auto [parent, leaf] = split_parent(path);
  int pfd = TRY(dir(parent, path));
  if (hardlink) return hard_link(pfd, leaf, path, hardlink);

  UniqueFd fd;
  const char* c_leaf = leaf.c_str();
  switch (type) {
    case AE_IFREG:
      TRY(create(pfd, leaf, path, false, [&] {
        fd.reset(::openat(pfd, c_leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
        return fd ? 0 : -1;
      }));
      TRYV(write_data(a, fd.get(), path));
      if (archive_entry_size_is_set(e) && ::ftruncate(fd.get(), archive_entry_size(e)) != 0)  // a trailing hole
        return fail_errno(n.entry(path) + ": sizing");
      break;
    case AE_IFDIR:
      TRY(create(pfd, leaf, path, true, [&] { return ::mkdirat(pfd, c_leaf, 0700); }));
      fd.reset(::openat(pfd, c_leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!fd) return fail_errno(n.entry(path) + ": opening the directory");
      break;
    case AE_IFLNK: {
      const char* target = archive_entry_symlink(e);
      if (!target) return n.refuse(path, "symlink without a target");
      if (policy_.refuse_symlinks_leaving_base && !clean_path(parent + "/" + target))
        return n.refuse(path, "symlink target \"" + std::string(target) + "\" leads outside " + n.root);
      // Otherwise the target is data: stored verbatim, resolved (in the root) only by later entries.
      TRY(create(pfd, leaf, path, false, [&] { return ::symlinkat(target, pfd, c_leaf); }));
      break;
    }
    case AE_IFCHR:
    case AE_IFBLK:
    case AE_IFIFO: {
      mode_t m = (type == AE_IFCHR ? S_IFCHR : type == AE_IFBLK ? S_IFBLK : S_IFIFO) | 0600;
      dev_t dev = type == AE_IFIFO ? 0 : makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));
      TRY(create(pfd, leaf, path, false, [&] { return ::mknodat(pfd, c_leaf, m, dev); }));
      break;
    }
    default:
      return n.refuse(path, "unsupported file type " + std::to_string(type >> 12));
  }
  return metadata(e, pfd, leaf, fd.get(), path);
}

Result<void> EntryWriter::finish() {
  for (const auto& d : dir_times_) {
    auto [parent, leaf] = split_parent(d.path);
    // A later entry may have removed or replaced the directory: then there is nothing to set.
    auto pfd = dir(parent, d.path, /*create=*/false);
    if (!pfd) continue;
    UniqueFd fd(::openat(*pfd, leaf.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) continue;
    if (::futimens(fd.get(), d.times) != 0) return fail_errno(policy_.naming.entry(d.path) + ": setting the times");
  }
  return {};
}

}  // namespace berth::layer
