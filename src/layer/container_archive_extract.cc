// PUT /containers/{id}/archive: extract a tar into a container directory with
// go-archive's Unpack rules (breakout checks, overwrite rules, ownership),
// every path resolved inside the container root.
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <memory>

#include "base/log.h"
#include "base/strings.h"
#include "layer/container_archive.h"
#include "layer/fs_util.h"

namespace berth::layer {
namespace {

using container_fs::Resolved;

struct ReadFree {
  void operator()(archive* a) const { archive_read_free(a); }
};

std::string show(const std::vector<std::string>& parts) { return "/" + join(parts, "/"); }

std::vector<std::string> concat(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::vector<std::string> out = a;
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

// Name of an entry relative to the destination, as go-archive computes it
// (filepath.Join(dest, Clean(name))): a leading "/" is relative to the
// destination; ".." climbing out of it yields nullopt.
std::optional<std::vector<std::string>> below(const std::vector<std::string>& base, std::string_view name) {
  std::vector<std::string> out = base;
  for (auto& c : split(name, '/', /*skip_empty=*/true)) {
    if (c == ".") continue;
    if (c == "..") {
      if (out.empty()) return std::nullopt;
      out.pop_back();
      continue;
    }
    out.push_back(std::move(c));
  }
  return out;
}

struct DirTimes {
  std::vector<std::string> rel;
  timespec times[2];
};

class Extractor {
 public:
  Extractor(int root, std::vector<std::string> dest, const ExtractOptions& opt)
      : root_(root), dest_(std::move(dest)), opt_(opt) {}

  Result<void> entry(archive* a, archive_entry* e);
  Result<void> finish_dirs();

 private:
  // An O_PATH fd of directory rel (relative to the destination), created if missing.
  Result<int> parent_dir(const std::vector<std::string>& rel);
  Result<void> metadata(archive_entry* e, int pdir, const std::string& leaf, int fd,
                        const std::vector<std::string>& rel);
  Result<void> write_data(archive* a, int fd, const std::string& shown);
  std::string shown(const std::vector<std::string>& rel) const { return show(concat(dest_, rel)); }

  int root_;
  std::vector<std::string> dest_;  // canonical destination inside the root
  const ExtractOptions& opt_;
  std::vector<DirTimes> dirs_;
  bool have_cached_ = false;
  std::vector<std::string> cached_rel_;
  UniqueFd cached_;
};

Result<int> Extractor::parent_dir(const std::vector<std::string>& rel) {
  if (have_cached_ && cached_rel_ == rel) return cached_.get();
  have_cached_ = false;
  // Symlinks met on the way are followed inside the root, as in Docker's
  // chroot; missing directories are implied by the entry and created.
  auto r = TRY(container_fs::resolve(root_, concat(dest_, rel), /*follow_last=*/true,
                                     /*create_dirs=*/true, opt_.owner));
  if (r.leaf.empty()) {
    cached_ = std::move(r.dir);
  } else {
    cached_.reset(::openat(r.dir.get(), r.leaf.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!cached_) return fail_errno("opening directory " + shown(rel));
  }
  cached_rel_ = rel;
  have_cached_ = true;
  return cached_.get();
}

Result<void> Extractor::write_data(archive* a, int fd, const std::string& name) {
  const void* buf;
  size_t len;
  la_int64_t offset;
  off_t pos = 0;
  for (;;) {
    int r = archive_read_data_block(a, &buf, &len, &offset);
    if (r == ARCHIVE_EOF) return {};
    if (r != ARCHIVE_OK)
      return fail(Errc::InvalidArgument, "reading the data of " + name + ": " + archive_error_string(a));
    if (offset != pos && ::lseek(fd, offset, SEEK_SET) < 0) return fail_errno("seeking in " + name);
    const char* p = static_cast<const char*>(buf);
    for (size_t left = len; left > 0;) {
      ssize_t n = ::write(fd, p, left);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return fail_errno("writing " + name);
      p += n;
      left -= static_cast<size_t>(n);
    }
    pos = offset + static_cast<off_t>(len);
  }
}

Result<void> Extractor::metadata(archive_entry* e, int pdir, const std::string& leaf, int fd,
                                 const std::vector<std::string>& rel) {
  std::string name = shown(rel);
  auto type = archive_entry_filetype(e);
  uid_t uid = opt_.owner ? opt_.owner->uid : static_cast<uid_t>(archive_entry_uid(e));
  gid_t gid = opt_.owner ? opt_.owner->gid : static_cast<gid_t>(archive_entry_gid(e));
  // Owner before mode (chown clears setuid) and before xattrs (it clears security.capability).
  int rc = fd >= 0 ? ::fchown(fd, uid, gid) : ::fchownat(pdir, leaf.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW);
  if (rc != 0) return fail_errno("setting the owner of " + name);
  archive_entry_xattr_reset(e);
  const char* key;
  const void* value;
  size_t size;
  std::string proc_path;
  while (archive_entry_xattr_next(e, &key, &value, &size) == ARCHIVE_OK) {
    std::string_view k = key;
    if (k.starts_with("trusted.overlay.")) continue;  // never steer the overlay under the container
    if (fd >= 0) {
      rc = ::fsetxattr(fd, key, value, size, 0);
    } else {
      if (proc_path.empty()) proc_path = "/proc/self/fd/" + std::to_string(pdir) + "/" + leaf;
      rc = ::lsetxattr(proc_path.c_str(), key, value, size, 0);
    }
    if (rc != 0) {
      if (errno != ENOTSUP && errno != EPERM) return fail_errno("setting xattr " + std::string(k) + " on " + name);
      log::warn("extracting {}: skipping xattr {}: {}", name, k, strerror(errno));
    }
  }
  if (type != AE_IFLNK) {
    mode_t mode = archive_entry_perm(e) & 07777;
    rc = fd >= 0 ? ::fchmod(fd, mode) : ::fchmodat(pdir, leaf.c_str(), mode, AT_SYMLINK_NOFOLLOW);
    if (rc != 0) return fail_errno("setting the mode of " + name);
  }
  timespec mtime{archive_entry_mtime(e), archive_entry_mtime_nsec(e)};
  timespec atime = mtime;
  if (archive_entry_atime_is_set(e)) {  // go-archive uses the later of the two
    timespec a{archive_entry_atime(e), archive_entry_atime_nsec(e)};
    if (a.tv_sec > mtime.tv_sec || (a.tv_sec == mtime.tv_sec && a.tv_nsec > mtime.tv_nsec)) atime = a;
  }
  if (type == AE_IFDIR) {  // entries created inside would change it: set once all exist
    dirs_.push_back({rel, {atime, mtime}});
    return {};
  }
  timespec times[2] = {atime, mtime};
  rc = fd >= 0 ? ::futimens(fd, times) : ::utimensat(pdir, leaf.c_str(), times, AT_SYMLINK_NOFOLLOW);
  if (rc != 0) return fail_errno("setting the times of " + name);
  return {};
}

Result<void> Extractor::entry(archive* a, archive_entry* e) {
  const char* raw = archive_entry_pathname(e);
  if (!raw) return fail(Errc::InvalidArgument, "archive entry without a name");
  auto rel_opt = below({}, raw);
  if (!rel_opt)
    return fail(Errc::InvalidArgument, "archive entry \"" + std::string(raw) + "\" is outside of " + show(dest_));
  const auto& rel = *rel_opt;
  auto type = archive_entry_filetype(e);
  const char* hardlink = archive_entry_hardlink(e);
  bool is_dir = type == AE_IFDIR && !hardlink;
  if (rel.empty()) {  // the destination itself, which is a directory
    if (is_dir) return {};  // keeps its own attributes, as go-archive does
    if (opt_.no_overwrite_dir_non_dir)
      return fail(Errc::InvalidArgument, "cannot overwrite directory \"" + show(dest_) + "\" with non-directory");
    return fail(Errc::InvalidArgument, "archive entry \"" + std::string(raw) + "\" would replace the extraction directory " + show(dest_));
  }
  std::vector<std::string> parent(rel.begin(), rel.end() - 1);
  const std::string& leaf = rel.back();
  std::string name = shown(rel);
  int pdir = TRY(parent_dir(parent));

  struct stat st;
  if (::fstatat(pdir, leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    bool existing_dir = S_ISDIR(st.st_mode);
    if (opt_.no_overwrite_dir_non_dir && existing_dir && !is_dir)
      return fail(Errc::InvalidArgument, "cannot overwrite directory \"" + name + "\" with non-directory \"" +
                                             std::string(raw) + "\"");
    if (opt_.no_overwrite_dir_non_dir && !existing_dir && is_dir)
      return fail(Errc::InvalidArgument, "cannot overwrite non-directory \"" + name + "\" with directory \"" +
                                             std::string(raw) + "\"");
    if (!existing_dir || !is_dir) TRYV_CTX(remove_at(pdir, leaf), "replacing " + name);
  } else if (errno != ENOENT) {
    return fail_errno("looking up " + name);
  }

  if (hardlink) {
    auto target = below({}, hardlink);
    if (!target || target->empty())
      return fail(Errc::InvalidArgument, "invalid hardlink \"" + name + "\" -> \"" + hardlink + "\": outside of " + show(dest_));
    UniqueFd own(::fcntl(pdir, F_DUPFD_CLOEXEC, 0));  // resolving the target may replace the cache
    if (!own) return fail_errno("duplicating a directory fd");
    auto t = TRY_CTX(container_fs::resolve(root_, concat(dest_, *target), /*follow_last=*/false),
                     "hard link " + name);
    if (!t.leaf_exists) return fail(Errc::InvalidArgument, "hard link " + name + ": target " + show(t.parts) + " does not exist");
    if (::linkat(t.dir.get(), t.leaf.c_str(), own.get(), leaf.c_str(), 0) != 0)
      return fail_errno("hard linking " + name + " to " + show(t.parts));
    return {};  // the inode already carries its metadata
  }

  UniqueFd fd;
  switch (type) {
    case AE_IFDIR:
      if (::mkdirat(pdir, leaf.c_str(), archive_entry_perm(e) & 0777) != 0 && errno != EEXIST)
        return fail_errno("creating directory " + name);
      fd.reset(::openat(pdir, leaf.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!fd) return fail_errno("opening directory " + name);
      break;
    case AE_IFREG:
      fd.reset(::openat(pdir, leaf.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
      if (!fd) return fail_errno("creating " + name);
      TRYV(write_data(a, fd.get(), name));
      if (archive_entry_size_is_set(e) && ::ftruncate(fd.get(), archive_entry_size(e)) != 0)
        return fail_errno("sizing " + name);  // a trailing sparse hole
      break;
    case AE_IFLNK: {
      const char* target = archive_entry_symlink(e);
      if (!target) return fail(Errc::InvalidArgument, "symlink " + name + " without a target");
      // go-archive refuses a link whose target, joined to its directory, leaves the destination.
      if (!below(parent, target))
        return fail(Errc::InvalidArgument, "invalid symlink \"" + name + "\" -> \"" + target + "\": outside of " + show(dest_));
      if (::symlinkat(target, pdir, leaf.c_str()) != 0) return fail_errno("creating symlink " + name);
      break;
    }
    case AE_IFCHR:
    case AE_IFBLK:
    case AE_IFIFO: {
      mode_t m = (type == AE_IFCHR ? S_IFCHR : type == AE_IFBLK ? S_IFBLK : S_IFIFO) | 0600;
      dev_t dev = type == AE_IFIFO ? 0 : makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));
      if (::mknodat(pdir, leaf.c_str(), m, dev) != 0) return fail_errno("creating " + name);
      break;
    }
    default:
      return fail(Errc::InvalidArgument, "archive entry " + name + ": unhandled file type " +
                                             std::to_string(type >> 12));
  }
  return metadata(e, pdir, leaf, fd.get(), rel);
}

Result<void> Extractor::finish_dirs() {
  for (const auto& d : dirs_) {
    // A later entry may have replaced the directory: then there is nothing to set.
    auto r = container_fs::resolve(root_, concat(dest_, d.rel), /*follow_last=*/false);
    if (!r || !r->leaf_exists) continue;
    struct stat st;
    if (::fstatat(r->dir.get(), r->leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode)) continue;
    if (::utimensat(r->dir.get(), r->leaf.c_str(), d.times, AT_SYMLINK_NOFOLLOW) != 0)
      return fail_errno("setting the times of " + shown(d.rel));
  }
  return {};
}

struct SourceReader {
  const TarSource* source;
  std::unique_ptr<char[]> buf{new char[kSize]};
  std::optional<Error> error;
  static constexpr size_t kSize = 256 * 1024;

  static la_ssize_t read(archive*, void* self, const void** out) {
    auto* s = static_cast<SourceReader*>(self);
    auto n = (*s->source)(s->buf.get(), kSize);
    if (!n) {
      s->error = std::move(n.error());
      return -1;
    }
    *out = s->buf.get();
    return static_cast<la_ssize_t>(*n);
  }
};

Result<void> extract(int root, const std::string& dest_dir, const ExtractOptions& options,
                     const std::function<int(archive*)>& open, SourceReader* reader) {
  using namespace container_fs;
  // The destination: every symlink followed, the last one too, so that a
  // link to a directory can be extracted into.
  auto parts = clean_parts(dest_dir);
  auto d = TRY(resolve(root, parts, /*follow_last=*/true));
  if (!d.leaf_exists) return fail(Errc::NotFound, show(parts) + ": no such file or directory", ENOENT);
  struct stat st;
  int rc = d.leaf.empty() ? ::fstat(d.dir.get(), &st) : ::fstatat(d.dir.get(), d.leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW);
  if (rc != 0) return fail_errno("stat " + show(parts));
  if (!S_ISDIR(st.st_mode))
    return fail(Errc::InvalidArgument, "extraction point is not a directory: " + show(parts));

  std::unique_ptr<archive, ReadFree> a(archive_read_new());
  if (!a) return fail(Errc::Internal, "allocating a tar reader");
  // Only the formats Docker accepts, all decoded in-process (no helper programs).
  archive_read_support_filter_gzip(a.get());
  archive_read_support_filter_bzip2(a.get());
  archive_read_support_filter_xz(a.get());
  archive_read_support_filter_zstd(a.get());
  archive_read_support_format_tar(a.get());
  archive_read_support_format_empty(a.get());
  auto read_error = [&](const std::string& what) {
    if (reader && reader->error) return std::unexpected(std::move(*reader->error).wrap(what));
    return fail(Errc::InvalidArgument, what + ": " + archive_error_string(a.get()));
  };
  if (open(a.get()) != ARCHIVE_OK) return read_error("reading the archive");
  Extractor x(root, d.parts, options);
  for (;;) {
    archive_entry* e = nullptr;
    int r = archive_read_next_header(a.get(), &e);
    if (r == ARCHIVE_EOF) break;
    if (r == ARCHIVE_WARN) {
      log::warn("extracting into {}: {}", show(d.parts), archive_error_string(a.get()));
    } else if (r != ARCHIVE_OK) {
      return read_error("reading the archive");
    }
    TRYV_CTX(x.entry(a.get(), e), "extracting into " + show(d.parts));
  }
  return x.finish_dirs();
}

}  // namespace

Result<void> extract_archive(int root, const std::string& dest_dir, int tar_fd, const ExtractOptions& options) {
  return extract(root, dest_dir, options,
                 [&](archive* a) { return archive_read_open_fd(a, tar_fd, 256 * 1024); }, nullptr);
}

Result<void> extract_archive(int root, const std::string& dest_dir, const TarSource& source,
                             const ExtractOptions& options) {
  SourceReader reader;
  reader.source = &source;
  return extract(root, dest_dir, options,
                 [&](archive* a) { return archive_read_open(a, &reader, nullptr, &SourceReader::read, nullptr); },
                 &reader);
}

}  // namespace berth::layer
