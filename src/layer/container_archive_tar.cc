// GET /containers/{id}/archive: a path of the container as a tar stream,
// named and filtered as go-archive's TarWithOptions does for Docker.
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <utility>

#include "base/log.h"
#include "layer/archive_error.h"
#include "base/strings.h"
#include "layer/container_archive.h"
#include "layer/fs_util.h"

namespace berth::layer {
namespace {

struct ArchiveFree {
  void operator()(archive* a) const { archive_write_free(a); }
};
struct EntryFree {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};

class TarWriter {
 public:
  TarWriter(const TarSink& sink, const OwnerOut& owner_map) : sink_(sink), owner_map_(owner_map) {}

  Result<void> open() {
    a_.reset(archive_write_new());
    if (!a_) return fail(Errc::Internal, "allocating a tar writer");
    archive_write_set_format_pax_restricted(a_.get());  // pax headers only where ustar cannot say it
    archive_write_set_format_option(a_.get(), "pax", "xattrheader", "SCHILY");
    archive_write_set_bytes_per_block(a_.get(), 64 * 1024);
    archive_write_set_bytes_in_last_block(a_.get(), 1);  // end with the two zero blocks, as Go does
    if (archive_write_open(a_.get(), this, nullptr, &TarWriter::write_cb, nullptr) != ARCHIVE_OK)
      return failure("opening the tar writer");
    return {};
  }

  Result<void> close() {
    if (archive_write_close(a_.get()) != ARCHIVE_OK) return failure("finishing the tar");
    return {};
  }

  // Adds name (in dirfd) as tar_name, and everything below it for a directory.
  Result<void> add(int dirfd, const std::string& name, const std::string& tar_name) {
    struct stat st;
    if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
      return fail_errno("archiving " + shown(tar_name));
    if (S_ISSOCK(st.st_mode)) {  // tar cannot hold one; Docker skips it too
      log::warn("archive: skipping socket {}", shown(tar_name));
      return {};
    }
    std::unique_ptr<archive_entry, EntryFree> e(archive_entry_new());
    UniqueFd fd;
    if (S_ISREG(st.st_mode)) {
      // O_NONBLOCK: should it have become a FIFO since the stat, do not hang on it.
      fd.reset(::openat(dirfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
      if (!fd || ::fstat(fd.get(), &st) != 0) return fail_errno("opening " + shown(tar_name));
      if (!S_ISREG(st.st_mode)) return fail(Errc::Conflict, shown(tar_name) + " changed type while archiving");
    }
    bool dir = S_ISDIR(st.st_mode);
    std::string entry_name = dir ? tar_name + "/" : tar_name;
    archive_entry_set_pathname(e.get(), entry_name.c_str());
    archive_entry_set_mode(e.get(), st.st_mode);
    Owner owner{st.st_uid, st.st_gid};
    if (owner_map_) owner = owner_map_(owner);
    archive_entry_set_uid(e.get(), owner.uid);
    archive_entry_set_gid(e.get(), owner.gid);
    archive_entry_set_mtime(e.get(), st.st_mtim.tv_sec, 0);  // whole seconds, as Docker writes
    archive_entry_set_size(e.get(), 0);
    if (!dir && st.st_nlink > 1) {
      auto [it, first] = links_.emplace(std::pair{st.st_dev, st.st_ino}, tar_name);
      if (!first) {
        archive_entry_set_hardlink(e.get(), it->second.c_str());
        return header(e.get(), tar_name);
      }
    }
    if (S_ISLNK(st.st_mode)) {
      char target[PATH_MAX];
      ssize_t n = ::readlinkat(dirfd, name.c_str(), target, sizeof target - 1);
      if (n < 0) return fail_errno("reading symlink " + shown(tar_name));
      target[n] = '\0';
      archive_entry_set_symlink(e.get(), target);
    } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
      archive_entry_set_rdevmajor(e.get(), major(st.st_rdev));
      archive_entry_set_rdevminor(e.get(), minor(st.st_rdev));
    } else if (fd) {
      archive_entry_set_size(e.get(), st.st_size);
      char cap[256];  // file capabilities are what Docker carries over among xattrs
      ssize_t n = ::fgetxattr(fd.get(), "security.capability", cap, sizeof cap);
      if (n > 0) archive_entry_xattr_add_entry(e.get(), "security.capability", cap, static_cast<size_t>(n));
    }
    TRYV(header(e.get(), tar_name));
    if (fd) return data(fd.get(), st.st_size, tar_name);
    if (!dir) return {};
    UniqueFd sub(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!sub) return fail_errno("opening directory " + shown(tar_name));
    return children(sub.get(), tar_name);
  }

  // The entries below directory dirfd, named under prefix.
  Result<void> children(int dirfd, const std::string& prefix) {
    auto names = TRY_CTX(list_dir(dirfd), "archiving " + shown(prefix));
    for (const auto& n : names) TRYV(add(dirfd, n, prefix + "/" + n));
    return {};
  }

  // The directory itself (dirfd) as tar_name, then its contents.
  Result<void> add_dir(int dirfd, const std::string& tar_name) {
    return add(dirfd, ".", tar_name);
  }

 private:
  static std::string shown(const std::string& tar_name) { return tar_name.empty() ? "/" : tar_name; }

  Result<void> header(archive_entry* e, const std::string& tar_name) {
    if (archive_write_header(a_.get(), e) != ARCHIVE_OK) return failure("writing the header of " + shown(tar_name));
    return {};
  }

  Result<void> data(int fd, off_t size, const std::string& tar_name) {
    static thread_local std::unique_ptr<char[]> buf(new char[kChunk]);
    off_t left = size;  // the header promised this much: a file that grows is cut, one that shrinks padded
    while (left > 0) {
      ssize_t n = ::read(fd, buf.get(), static_cast<size_t>(std::min<off_t>(left, kChunk)));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return fail_errno("reading " + shown(tar_name));
      if (n == 0) break;
      if (archive_write_data(a_.get(), buf.get(), static_cast<size_t>(n)) != n)
        return failure("writing the data of " + shown(tar_name));
      left -= n;
    }
    return {};
  }

  std::unexpected<Error> failure(const std::string& what) {
    if (sink_error_) return std::unexpected(std::move(*sink_error_).wrap(what));
    return fail(Errc::Internal, what + ": " + archive_message(a_.get()));
  }

  static la_ssize_t write_cb(archive*, void* self, const void* buf, size_t len) {
    auto* w = static_cast<TarWriter*>(self);
    auto r = w->sink_(std::string_view(static_cast<const char*>(buf), len));
    if (!r) {
      w->sink_error_ = std::move(r.error());
      return -1;
    }
    return static_cast<la_ssize_t>(len);
  }

  static constexpr size_t kChunk = 256 * 1024;
  const TarSink& sink_;
  const OwnerOut& owner_map_;
  std::unique_ptr<archive, ArchiveFree> a_;
  std::optional<Error> sink_error_;
  std::map<std::pair<dev_t, ino_t>, std::string> links_;  // first name of each multiply-linked inode
};

}  // namespace

Result<PathArchive> PathArchive::open(int root, const std::string& path) {
  using namespace container_fs;
  auto r = TRY(resolve(root, clean_parts(path), follows_last(path)));
  PathArchive a;
  a.stat_ = TRY(stat_resolved(root, r, path));
  // moby renames the source's own entry to the requested base name, and the
  // container root to "" so that its entries read "/bin", "/etc", ...
  a.entry_name_ = a.stat_.name == "/" ? "" : a.stat_.name;
  if ((a.stat_.mode & go_mode::kDir) && !r.leaf.empty()) {
    a.dir_.reset(::openat(r.dir.get(), r.leaf.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!a.dir_) return fail_errno("opening /" + join(r.parts, "/"));
  } else {
    a.dir_ = std::move(r.dir);
    a.leaf_ = r.leaf;
  }
  return a;
}

Result<void> PathArchive::write(const TarSink& sink) {
  TarWriter w(sink, owner_map_);
  TRYV(w.open());
  if (leaf_.empty())
    TRYV(w.add_dir(dir_.get(), entry_name_));
  else
    TRYV(w.add(dir_.get(), leaf_, entry_name_));
  return w.close();
}

Result<PathStat> archive_path(int root, const std::string& path, const TarSink& sink) {
  auto a = TRY(PathArchive::open(root, path));
  TRYV(a.write(sink));
  return a.stat();
}

}  // namespace berth::layer
