// diff() and write_diff_tar(): what `docker diff` and `docker commit` need
// from an overlay upper dir. Whiteouts there are 0/0 char devices, opaque
// dirs carry trusted.overlay.opaque=y.
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "base/unique_fd.h"
#include "layer/archive_error.h"
#include "layer/fs_util.h"
#include "layer/layer.h"

namespace berth::layer {
namespace {

bool is_whiteout(const struct stat& st) { return S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0); }

bool is_opaque(const std::string& path) {
  char v[4];
  // Either form: a rootless daemon's layers carry user.overlay.opaque.
  for (const char* name : {"trusted.overlay.opaque", "user.overlay.opaque"}) {
    ssize_t n = ::lgetxattr(path.c_str(), name, v, sizeof(v));
    if (n == 1 && v[0] == 'y') return true;
  }
  return false;
}

// The merged view of the lower dirs (top-most first), as overlayfs shows it.
class LowerView {
 public:
  explicit LowerView(const std::vector<std::string>& lowers) : lowers_(lowers) {}

  bool exists(const std::string& rel) const {
    for (const auto& l : lowers_) {
      struct stat st;
      if (::lstat((l + "/" + rel).c_str(), &st) == 0) return !is_whiteout(st);
      if (hidden_below(l, rel)) return false;
    }
    return false;
  }

  // Visible names inside directory rel.
  std::set<std::string> children(const std::string& rel) const {
    std::set<std::string> seen, visible;
    for (const auto& l : lowers_) {
      std::string dir = rel.empty() ? l : l + "/" + rel;
      struct stat st;
      if (::lstat(dir.c_str(), &st) != 0) {
        if (hidden_below(l, rel)) break;
        continue;
      }
      if (!S_ISDIR(st.st_mode)) break;
      UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (!fd) break;
      auto names = list_dir(fd.get());
      for (const auto& n : names ? *names : std::vector<std::string>{}) {
        if (!seen.insert(n).second) continue;
        struct stat cst;
        if (::fstatat(fd.get(), n.c_str(), &cst, AT_SYMLINK_NOFOLLOW) == 0 && !is_whiteout(cst))
          visible.insert(n);
      }
      if (is_opaque(dir)) break;
    }
    return visible;
  }

 private:
  // Whether an ancestor of rel in lower l hides everything under it for lower layers.
  static bool hidden_below(const std::string& l, const std::string& rel) {
    std::string p = l;
    size_t pos = 0;
    while (true) {
      size_t slash = rel.find('/', pos);
      if (slash == std::string::npos) return false;
      p = l + "/" + rel.substr(0, slash);
      pos = slash + 1;
      struct stat st;
      if (::lstat(p.c_str(), &st) != 0) return false;
      if (!S_ISDIR(st.st_mode) || is_opaque(p)) return true;
    }
  }
  const std::vector<std::string>& lowers_;
};

Result<void> diff_dir(const std::string& upper, const std::string& rel, const LowerView& lower,
                      std::vector<Change>& out) {
  std::string dir = rel.empty() ? upper : upper + "/" + rel;
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return fail_errno("opening " + dir);
  auto names = TRY(list_dir(fd.get()));
  if (!rel.empty() && is_opaque(dir)) {
    std::set<std::string> mine(names.begin(), names.end());
    for (const auto& n : lower.children(rel))
      if (!mine.contains(n)) out.push_back({ChangeKind::Deleted, "/" + rel + "/" + n});
  }
  for (const auto& n : names) {
    std::string p = rel.empty() ? n : rel + "/" + n;
    struct stat st;
    if (::fstatat(fd.get(), n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return fail_errno("stat " + p);
    if (is_whiteout(st)) {
      out.push_back({ChangeKind::Deleted, "/" + p});
      continue;
    }
    out.push_back({lower.exists(p) ? ChangeKind::Modified : ChangeKind::Added, "/" + p});
    if (S_ISDIR(st.st_mode)) TRYV(diff_dir(upper, p, lower, out));
  }
  return {};
}

// Tar output: every byte written is hashed on the way to the fd.
struct TarSink {
  int fd;
  content::Hasher hasher;
  uint64_t size = 0;
  int err = 0;
  static la_ssize_t write(archive*, void* p, const void* buf, size_t len) {
    auto* s = static_cast<TarSink*>(p);
    const char* c = static_cast<const char*>(buf);
    size_t left = len;
    while (left > 0) {
      ssize_t n = ::write(s->fd, c, left);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        s->err = errno;
        return -1;
      }
      c += n;
      left -= static_cast<size_t>(n);
    }
    s->hasher.update(buf, len);
    s->size += len;
    return static_cast<la_ssize_t>(len);
  }
};

struct ArchiveFree {
  void operator()(archive* a) const { archive_write_free(a); }
};
struct EntryFree {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};

class TarWriter {
 public:
  TarWriter(archive* a, std::string upper) : a_(a), upper_(std::move(upper)) {}

  Result<void> dir(const std::string& rel) {
    std::string path = rel.empty() ? upper_ : upper_ + "/" + rel;
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) return fail_errno("opening " + path);
    for (const auto& n : TRY(list_dir(fd.get()))) {
      std::string p = rel.empty() ? n : rel + "/" + n;
      std::string full = upper_ + "/" + p;
      struct stat st;
      if (::lstat(full.c_str(), &st) != 0) return fail_errno("stat " + full);
      if (S_ISSOCK(st.st_mode)) {  // not representable in a layer
        ++left_out_;
        continue;
      }
      if (is_whiteout(st)) {
        TRYV(marker(rel.empty() ? ".wh." + n : rel + "/.wh." + n, st));
        continue;
      }
      TRYV(entry(p, full, st));
      if (S_ISDIR(st.st_mode)) {
        if (is_opaque(full)) TRYV(marker(p + "/.wh..wh..opq", st));
        TRYV(dir(p));
      }
    }
    return {};
  }

  // The merged view of roots (top first) at rel, as overlayfs shows it:
  // the topmost entry of a name wins, whiteouts hide lower entries, and an
  // opaque directory hides everything below it. No whiteouts are written.
  Result<void> flat_dir(const std::string& rel, const std::vector<std::string>& roots) {
    struct Top {
      std::string full;
      struct stat st;
      size_t root;
    };
    std::map<std::string, std::optional<Top>> names;  // nullopt: whited out
    for (size_t i = 0; i < roots.size(); ++i) {
      std::string dir = rel.empty() ? roots[i] : roots[i] + "/" + rel;
      UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (!fd) return fail_errno("opening " + dir);
      for (const auto& n : TRY(list_dir(fd.get()))) {
        if (names.count(n)) continue;
        std::string full = dir + "/" + n;
        struct stat st;
        if (::lstat(full.c_str(), &st) != 0) return fail_errno("stat " + full);
        if (is_whiteout(st) || S_ISSOCK(st.st_mode)) names[n] = std::nullopt;
        else names[n] = Top{full, st, i};
      }
      if (is_opaque(dir)) break;
    }
    for (const auto& [n, top] : names) {
      if (!top) continue;
      std::string p = rel.empty() ? n : rel + "/" + n;
      TRYV(entry(p, top->full, top->st));
      if (!S_ISDIR(top->st.st_mode)) continue;
      // Lower layers contribute while they hold the same directory.
      std::vector<std::string> below;
      for (size_t i = top->root; i < roots.size(); ++i) {
        std::string full = roots[i] + "/" + p;
        struct stat st;
        if (::lstat(full.c_str(), &st) != 0) {
          if (errno == ENOENT) continue;
          return fail_errno("stat " + full);
        }
        if (!S_ISDIR(st.st_mode)) break;  // a file or whiteout here hides the rest
        below.push_back(roots[i]);
        if (is_opaque(full)) break;
      }
      TRYV(flat_dir(p, below));
    }
    return {};
  }

  uint64_t left_out() const { return left_out_; }

 private:
  Result<void> header(archive_entry* e, const std::string& name) {
    if (archive_write_header(a_, e) != ARCHIVE_OK)
      return fail(Errc::Internal, "writing tar header for " + name + ": " + archive_message(a_));
    return {};
  }

  Result<void> marker(const std::string& name, const struct stat& st) {
    std::unique_ptr<archive_entry, EntryFree> e(archive_entry_new());
    archive_entry_set_pathname(e.get(), name.c_str());
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_set_perm(e.get(), 0);
    archive_entry_set_size(e.get(), 0);
    archive_entry_set_mtime(e.get(), st.st_mtim.tv_sec, 0);
    return header(e.get(), name);
  }

  Result<void> entry(const std::string& rel, const std::string& full, const struct stat& st) {
    std::unique_ptr<archive_entry, EntryFree> e(archive_entry_new());
    archive_entry_copy_stat(e.get(), &st);
    archive_entry_unset_atime(e.get());  // only what defines the content goes in the digest
    archive_entry_unset_ctime(e.get());
    archive_entry_unset_birthtime(e.get());
    // Whole seconds, as docker writes them: no pax record per file just for nanoseconds.
    archive_entry_set_mtime(e.get(), st.st_mtim.tv_sec, 0);
    archive_entry_set_nlink(e.get(), 1);
    archive_entry_set_pathname(e.get(), S_ISDIR(st.st_mode) ? (rel + "/").c_str() : rel.c_str());
    if (S_ISREG(st.st_mode) && st.st_nlink > 1) {
      auto [it, fresh] = links_.emplace(std::make_pair(st.st_dev, st.st_ino), rel);
      if (!fresh) {
        archive_entry_set_hardlink(e.get(), it->second.c_str());
        archive_entry_set_size(e.get(), 0);
        return header(e.get(), rel);
      }
    }
    if (S_ISLNK(st.st_mode)) {
      std::string target(4096, '\0');
      ssize_t n = ::readlink(full.c_str(), target.data(), target.size());
      if (n < 0) return fail_errno("reading symlink " + full);
      target.resize(static_cast<size_t>(n));
      archive_entry_set_symlink(e.get(), target.c_str());
    }
    TRYV(xattrs(e.get(), full));
    if (!S_ISREG(st.st_mode)) {
      archive_entry_set_size(e.get(), 0);
      return header(e.get(), rel);
    }
    UniqueFd fd(::open(full.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) return fail_errno("opening " + full);
    TRYV(header(e.get(), rel));
    static thread_local std::vector<char> buf(1 << 20);
    off_t left = st.st_size;
    while (left > 0) {
      ssize_t n = ::read(fd.get(), buf.data(), std::min<off_t>(left, buf.size()));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return fail_errno("reading " + full);
      if (n == 0) return fail(Errc::Conflict, full + " shrank while being written to the layer");
      if (archive_write_data(a_, buf.data(), static_cast<size_t>(n)) != n)
        return fail(Errc::Internal, "writing data of " + full + ": " + archive_message(a_));
      left -= n;
    }
    return {};
  }

  Result<void> xattrs(archive_entry* e, const std::string& full) {
    char names[65536];
    ssize_t len = ::llistxattr(full.c_str(), names, sizeof(names));
    if (len < 0) return errno == ENOTSUP ? Result<void>{} : fail_errno("listing xattrs of " + full);
    for (ssize_t pos = 0; pos < len;) {
      std::string name = names + pos;
      pos += static_cast<ssize_t>(name.size()) + 1;
      if (name.starts_with("trusted.overlay.")) continue;  // overlay's bookkeeping, not content
      char value[65536];
      ssize_t vlen = ::lgetxattr(full.c_str(), name.c_str(), value, sizeof(value));
      if (vlen < 0) return fail_errno("reading xattr " + name + " of " + full);
      archive_entry_xattr_add_entry(e, name.c_str(), value, static_cast<size_t>(vlen));
    }
    return {};
  }

  archive* a_;
  std::string upper_;
  uint64_t left_out_ = 0;  // sockets: in the upper dir, not in the tar
  std::map<std::pair<dev_t, ino_t>, std::string> links_;
};

}  // namespace

Result<std::vector<Change>> diff(const std::string& upper, const std::vector<std::string>& lowers) {
  std::vector<Change> out;
  LowerView view(lowers);
  TRYV_CTX(diff_dir(upper, "", view, out), "diffing " + upper);
  std::sort(out.begin(), out.end(), [](const Change& a, const Change& b) { return a.path < b.path; });
  return out;
}

Result<WriteResult> write_diff_tar(const std::string& upper, int fd) {
  TarSink sink{fd, TRY(content::Hasher::create())};
  std::unique_ptr<archive, ArchiveFree> a(archive_write_new());
  archive_write_set_format_pax_restricted(a.get());
  // SCHILY.xattr.* only, as docker and containerd write and read them.
  archive_write_set_format_option(a.get(), "pax", "xattrheader", "SCHILY");
  archive_write_set_bytes_per_block(a.get(), 64 * 1024);
  archive_write_set_bytes_in_last_block(a.get(), 1);  // no padding beyond the end blocks
  if (archive_write_open(a.get(), &sink, nullptr, &TarSink::write, nullptr) != ARCHIVE_OK)
    return fail(Errc::Internal, std::string("opening tar writer: ") + archive_message(a.get()));
  TarWriter writer(a.get(), upper);
  TRYV_CTX(writer.dir(""), "writing layer of " + upper);
  if (archive_write_close(a.get()) != ARCHIVE_OK)
    return sink.err ? fail_errno("writing layer tar", sink.err)
                    : fail(Errc::Internal, std::string("closing tar: ") + archive_message(a.get()));
  return WriteResult{sink.hasher.finish(), sink.size, writer.left_out()};
}

Result<WriteResult> write_flat_tar(const std::vector<std::string>& roots_top_first, int fd) {
  if (roots_top_first.empty()) return fail(Errc::InvalidArgument, "write_flat_tar: no layer directories");
  TarSink sink{fd, TRY(content::Hasher::create())};
  std::unique_ptr<archive, ArchiveFree> a(archive_write_new());
  archive_write_set_format_pax_restricted(a.get());
  archive_write_set_format_option(a.get(), "pax", "xattrheader", "SCHILY");
  archive_write_set_bytes_per_block(a.get(), 64 * 1024);
  archive_write_set_bytes_in_last_block(a.get(), 1);
  if (archive_write_open(a.get(), &sink, nullptr, &TarSink::write, nullptr) != ARCHIVE_OK)
    return fail(Errc::Internal, std::string("opening tar writer: ") + archive_message(a.get()));
  TRYV_CTX(TarWriter(a.get(), "").flat_dir("", roots_top_first), "exporting " + roots_top_first.front());
  if (archive_write_close(a.get()) != ARCHIVE_OK)
    return sink.err ? fail_errno("writing the exported tar", sink.err)
                    : fail(Errc::Internal, std::string("closing tar: ") + archive_message(a.get()));
  return WriteResult{sink.hasher.finish(), sink.size};
}

}  // namespace berth::layer
