// apply(): stream a layer tar into a snapshot directory. Parents are found
// through Resolver (resolver.h), so an entry never lands outside the target.
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/log.h"
#include "base/unique_fd.h"
#include "layer/fs_util.h"
#include "layer/layer.h"
#include "layer/resolver.h"
#include "layer/tar_input.h"

namespace berth::layer {
namespace {

constexpr std::string_view kWhiteoutPrefix = ".wh.";
constexpr std::string_view kOpaque = ".wh..wh..opq";

struct DirTime {
  std::string path;
  timespec times[2];
};

class Applier {
 public:
  Applier(int root, const ApplyOptions& opt)
      : root_(root), opt_(opt), is_root_(::geteuid() == 0), resolver_(root) {}

  Result<void> entry(archive* a, archive_entry* e);
  Result<void> finish_dirs();
  uint64_t entries = 0;

 private:
  Result<void> whiteout(int pfd, const std::string& parent, const std::string& leaf,
                        const std::string& entry);
  Result<void> metadata(archive_entry* e, int pfd, const std::string& leaf, int fd,
                        const std::string& path);
  Result<void> write_data(archive* a, int fd, const std::string& path);
  Result<int> parent_dir(const std::string& rel, const std::string& entry, bool create = true) {
    return resolver_.parent_dir(rel, entry, create);
  }

  int root_;
  const ApplyOptions& opt_;
  bool is_root_;
  uint64_t total_ = 0;
  // Paths this layer wrote: whiteouts only hide lower layers' files.
  std::unordered_set<std::string> written_;
  std::vector<DirTime> dir_times_;
  std::unordered_map<std::string, size_t> dir_time_index_;  // a repeated dir entry wins
  Resolver resolver_;
};

Result<void> Applier::write_data(archive* a, int fd, const std::string& path) {
  const void* buf;
  size_t len;
  la_int64_t offset;
  off_t pos = 0;
  for (;;) {
    int r = archive_read_data_block(a, &buf, &len, &offset);
    if (r == ARCHIVE_EOF) break;
    if (r != ARCHIVE_OK)
      return fail(Errc::InvalidArgument,
                  "layer entry \"" + path + "\": reading data: " + archive_error_string(a));
    if (offset != pos && ::lseek(fd, offset, SEEK_SET) < 0)  // sparse hole
      return fail_errno("seeking in " + path);
    const char* p = static_cast<const char*>(buf);
    size_t left = len;
    while (left > 0) {
      ssize_t n = ::write(fd, p, left);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return fail_errno("writing " + path);
      p += n;
      left -= static_cast<size_t>(n);
    }
    pos = offset + static_cast<off_t>(len);
  }
  return {};
}

Result<void> Applier::metadata(archive_entry* e, int pfd, const std::string& leaf, int fd,
                               const std::string& path) {
  auto type = archive_entry_filetype(e);
  bool link = type == AE_IFLNK;
  uid_t uid = static_cast<uid_t>(archive_entry_uid(e));
  gid_t gid = static_cast<gid_t>(archive_entry_gid(e));
  mode_t mode = archive_entry_perm(e) & 07777;
  // Owner before mode (chown clears setuid) and before xattrs (it clears security.capability).
  if (is_root_) {
    int r = fd >= 0 ? ::fchown(fd, uid, gid) : ::fchownat(pfd, leaf.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW);
    if (r != 0) return fail_errno("setting owner of " + path);
  }
  if (!link) {
    int r = fd >= 0 ? ::fchmod(fd, mode) : ::fchmodat(pfd, leaf.c_str(), mode, 0);
    if (r != 0) return fail_errno("setting mode of " + path);
  }
  archive_entry_xattr_reset(e);
  const char* name;
  const void* value;
  size_t size;
  std::string proc_path;
  while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
    std::string_view n = name;
    // A layer must not steer overlayfs (redirects, metacopy, opaque): only whiteout entries may.
    if (n.starts_with("trusted.overlay.")) continue;
    int r;
    if (fd >= 0) {
      r = ::fsetxattr(fd, name, value, size, 0);
    } else {
      if (proc_path.empty()) proc_path = "/proc/self/fd/" + std::to_string(pfd) + "/" + leaf;
      r = ::lsetxattr(proc_path.c_str(), name, value, size, 0);
    }
    if (r != 0) {
      if (errno == ENOTSUP || (errno == EPERM && !is_root_)) {
        log::warn("layer entry {}: skipping xattr {}: {}", path, n, strerror(errno));
        continue;
      }
      return fail_errno("setting xattr " + std::string(n) + " on " + path);
    }
  }
  timespec times[2] = {{archive_entry_atime(e), archive_entry_atime_nsec(e)},
                       {archive_entry_mtime(e), archive_entry_mtime_nsec(e)}};
  if (!archive_entry_atime_is_set(e)) times[0] = times[1];
  if (type == AE_IFDIR) {
    // Children would bump it now; set once all exist (order among dirs does not matter).
    auto [it, fresh] = dir_time_index_.emplace(path, dir_times_.size());
    if (fresh)
      dir_times_.push_back({path, {times[0], times[1]}});
    else
      dir_times_[it->second] = {path, {times[0], times[1]}};
    return {};
  }
  int r = fd >= 0 ? ::futimens(fd, times) : ::utimensat(pfd, leaf.c_str(), times, AT_SYMLINK_NOFOLLOW);
  if (r != 0) return fail_errno("setting times of " + path);
  return {};
}

Result<void> Applier::whiteout(int pfd, const std::string& parent, const std::string& leaf,
                               const std::string& entry) {
  if (leaf == kOpaque) {
    if (opt_.format == Format::Overlay) {
      UniqueFd dir(::openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (!dir) return fail_errno("opening " + parent + " to mark it opaque");
      if (::fsetxattr(dir.get(), "trusted.overlay.opaque", "y", 1, 0) != 0)
        return fail_errno("marking " + parent + " opaque");
      return {};
    }
    for (const auto& n : TRY(list_dir(pfd))) {
      std::string p = parent.empty() ? n : parent + "/" + n;
      if (!written_.contains(p)) TRYV(remove_at(pfd, n));
    }
    return {};
  }
  std::string name = leaf.substr(kWhiteoutPrefix.size());
  if (name.empty() || name == "." || name == "..")
    return refuse(entry, "whiteout of an invalid name");
  std::string target = parent.empty() ? name : parent + "/" + name;
  if (written_.contains(target)) return {};  // a whiteout hides lower layers only
  if (opt_.format == Format::Plain) return remove_at(pfd, name);
  TRYV(remove_at(pfd, name));
  if (::mknodat(pfd, name.c_str(), S_IFCHR | 0000, makedev(0, 0)) != 0)
    return fail_errno("creating whiteout for " + target);
  return {};
}

Result<void> Applier::entry(archive* a, archive_entry* e) {
  ++entries;
  const char* raw_name = archive_entry_pathname(e);
  if (!raw_name) return refuse("?", "entry without a name");
  std::string path = TRY(clean_path(raw_name));
  auto type = archive_entry_filetype(e);
  if (archive_entry_size_is_set(e)) {
    auto size = static_cast<uint64_t>(std::max<la_int64_t>(archive_entry_size(e), 0));
    if (size > opt_.max_entry_size)
      return refuse(path, "size " + std::to_string(size) + " exceeds the per-entry limit of " +
                              std::to_string(opt_.max_entry_size));
    total_ += size;
    if (total_ > opt_.max_total_size)
      return refuse(path, "layer size exceeds the limit of " + std::to_string(opt_.max_total_size));
  }
  if (path.empty()) return {};  // "./": the snapshot's own root keeps its attributes
  auto [parent, leaf] = split_parent(path);
  int pfd = TRY(parent_dir(parent, path));
  if (leaf.starts_with(kWhiteoutPrefix)) {
    auto r = whiteout(pfd, parent, leaf, path);
    resolver_.forget();  // the cached dir may be among what was removed
    return r;
  }
  const char* hardlink = archive_entry_hardlink(e);
  // Implicitly created parents belong to this layer too (an opaque marker must not remove them).
  written_.insert(path);
  for (std::string p = parent; !p.empty() && written_.insert(p).second;) p = split_parent(p).first;
  // Create first: only a clash (an earlier entry, or the parent's copy in
  // Plain format) pays for a lookup. Returns false when an existing
  // directory is kept for a directory entry.
  auto create = [&](int dirfd, auto&& op, bool want_dir) -> Result<bool> {
    if (op() == 0) return true;
    if (errno != EEXIST) return fail_errno("creating " + path);
    struct stat st;
    if (::fstatat(dirfd, leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
      if (want_dir && S_ISDIR(st.st_mode)) return false;
      TRYV(remove_at(dirfd, leaf));  // only the leaf: the cached parent fd stays valid
    }
    if (op() != 0) return fail_errno("creating " + path);
    return true;
  };
  if (hardlink) {
    auto cleaned = clean_path(hardlink);
    if (!cleaned) return refuse(path, "hard link target \"" + std::string(hardlink) + "\" escapes the layer root");
    std::string target = *cleaned;
    if (target.empty()) return refuse(path, "hard link to the layer root");
    auto [tparent, tleaf] = split_parent(target);
    // Resolving the target's parent may replace the cached fd: keep our own.
    UniqueFd own(::fcntl(pfd, F_DUPFD_CLOEXEC, 0));
    if (!own) return fail_errno("duplicating directory fd");
    int tpfd = TRY(parent_dir(tparent, path));
    struct stat tst;
    if (::fstatat(tpfd, tleaf.c_str(), &tst, AT_SYMLINK_NOFOLLOW) != 0)
      return refuse(path, "hard link target \"" + target + "\" is not in the layer");
    if (S_ISDIR(tst.st_mode)) return refuse(path, "hard link to directory \"" + target + "\"");
    TRY(create(own.get(), [&] { return ::linkat(tpfd, tleaf.c_str(), own.get(), leaf.c_str(), 0); }, false));
    return {};
  }
  UniqueFd fd;
  const char* c_leaf = leaf.c_str();
  switch (type) {
    case AE_IFREG:
      TRY(create(pfd, [&] {
        fd.reset(::openat(pfd, c_leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
        return fd ? 0 : -1;
      }, false));
      TRYV(write_data(a, fd.get(), path));
      if (archive_entry_size_is_set(e) &&
          ::ftruncate(fd.get(), archive_entry_size(e)) != 0)  // trailing sparse hole
        return fail_errno("sizing " + path);
      break;
    case AE_IFDIR:
      TRY(create(pfd, [&] { return ::mkdirat(pfd, c_leaf, 0700); }, true));
      fd.reset(::openat(pfd, c_leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!fd) return fail_errno("opening directory " + path);
      break;
    case AE_IFLNK: {
      const char* target = archive_entry_symlink(e);
      if (!target) return refuse(path, "symlink without a target");
      // The target is data: stored verbatim, only resolved (in-root) by later entries.
      TRY(create(pfd, [&] { return ::symlinkat(target, pfd, c_leaf); }, false));
      break;
    }
    case AE_IFCHR:
    case AE_IFBLK:
    case AE_IFIFO: {
      mode_t m = (type == AE_IFCHR ? S_IFCHR : type == AE_IFBLK ? S_IFBLK : S_IFIFO) | 0600;
      dev_t dev = type == AE_IFIFO ? 0 : makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));
      TRY(create(pfd, [&] { return ::mknodat(pfd, c_leaf, m, dev); }, false));
      break;
    }
    default:
      return refuse(path, "unsupported file type");
  }
  return metadata(e, pfd, leaf, fd.get(), path);
}

Result<void> Applier::finish_dirs() {
  for (const auto& d : dir_times_) {
    auto [parent, leaf] = split_parent(d.path);
    // A later entry may have removed or replaced the directory: then there is nothing to set.
    auto pfd = parent_dir(parent, d.path, /*create=*/false);
    if (!pfd) continue;
    UniqueFd fd(::openat(*pfd, leaf.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) continue;
    if (::futimens(fd.get(), d.times) != 0) return fail_errno("setting times of " + d.path);
  }
  return {};
}

Result<ApplyResult> apply_into(int fd, int root, const ApplyOptions& options) {
  auto in = TRY(TarInput::open(fd));
  Applier applier(root, options);
  archive* a = in->tar();
  for (;;) {
    archive_entry* e = nullptr;
    int r = archive_read_next_header(a, &e);
    if (r == ARCHIVE_EOF) break;
    if (r == ARCHIVE_WARN) {
      log::warn("layer: {}", archive_error_string(a));
    } else if (r != ARCHIVE_OK) {
      return fail(Errc::InvalidArgument,
                  std::string("reading layer tar: ") + archive_error_string(a));
    }
    TRYV(applier.entry(a, e));
  }
  TRYV(applier.finish_dirs());
  TRYV(in->finish());
  return ApplyResult{*in->diff_id, *in->digest, in->size, in->uncompressed_size, applier.entries};
}

}  // namespace

Result<ApplyResult> apply(int fd, const std::string& target_dir, const ApplyOptions& options) {
  UniqueFd root(::open(target_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root) return fail_errno("opening layer target " + target_dir);
  auto result = apply_into(fd, root.get(), options);
  if (!result) {
    // Leave nothing half-applied behind.
    if (auto r = empty_dir(root.get()); !r)
      log::warn("cleaning {} after a failed apply: {}", target_dir, r.error().str());
    return std::unexpected(std::move(result.error()).wrap("applying layer to " + target_dir));
  }
  return result;
}

}  // namespace berth::layer
