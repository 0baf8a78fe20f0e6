#include "cli/build_context.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <random>
#include <set>
#include <vector>

#include <fmt/format.h>

#include "base/file.h"
#include "build/ignore.h"
#include "cli/libarchive.h"

namespace berth::cli {
namespace {

Error archive_error(const LibArchive& la, archive* a, const std::string& what) {
  const char* msg = la.archive_error_string(a);
  return Error{Errc::Internal, 0, fmt::format("{}: {}", what, msg ? msg : "unknown libarchive error")};
}

class TarWriter {
 public:
  TarWriter(const LibArchive& la, int fd) : la_(la), w_(la.archive_write_new()) {
    la_.archive_write_set_format_pax_restricted(w_);
    la_.archive_write_open_fd(w_, fd);
  }
  ~TarWriter() {
    la_.archive_write_free(w_);
  }
  // One entry from an open file (its data too when regular).
  Result<void> add(const std::string& name, int fd, const struct stat& st) {
    std::unique_ptr<archive_entry, void (*)(archive_entry*)> e(la_.archive_entry_new(), la_.archive_entry_free);
    la_.archive_entry_copy_stat(e.get(), &st);
    la_.archive_entry_set_pathname(e.get(), name.c_str());
    la_.archive_entry_set_uid(e.get(), 0);
    la_.archive_entry_set_gid(e.get(), 0);
    la_.archive_entry_set_uname(e.get(), "");
    la_.archive_entry_set_gname(e.get(), "");
    if (S_ISLNK(st.st_mode)) {
      char target[PATH_MAX];
      ssize_t n = ::readlinkat(fd, "", target, sizeof target - 1);
      if (n < 0) return fail_errno("reading the link " + name);
      target[n] = 0;
      la_.archive_entry_set_symlink(e.get(), target);
    }
    if (!S_ISREG(st.st_mode)) la_.archive_entry_set_size(e.get(), 0);
    if (la_.archive_write_header(w_, e.get()) != ARCHIVE_OK) return std::unexpected(archive_error(la_, w_, name));
    ++entries;
    if (S_ISREG(st.st_mode)) {
      char buf[1 << 16];
      for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return fail_errno("reading " + name);
        if (n == 0) break;
        if (la_.archive_write_data(w_, buf, static_cast<size_t>(n)) < 0)
          return std::unexpected(archive_error(la_, w_, name));
      }
    }
    return {};
  }
  Result<void> add_text(const std::string& name, const std::string& text) {
    std::unique_ptr<archive_entry, void (*)(archive_entry*)> e(la_.archive_entry_new(), la_.archive_entry_free);
    la_.archive_entry_set_pathname(e.get(), name.c_str());
    la_.archive_entry_set_filetype(e.get(), AE_IFREG);
    la_.archive_entry_set_perm(e.get(), 0600);
    la_.archive_entry_set_size(e.get(), static_cast<la_int64_t>(text.size()));
    la_.archive_entry_set_mtime(e.get(), ::time(nullptr), 0);
    if (la_.archive_write_header(w_, e.get()) != ARCHIVE_OK) return std::unexpected(archive_error(la_, w_, name));
    if (la_.archive_write_data(w_, text.data(), text.size()) < 0) return std::unexpected(archive_error(la_, w_, name));
    ++entries;
    return {};
  }
  Result<void> close() {
    if (la_.archive_write_close(w_) != ARCHIVE_OK) return std::unexpected(archive_error(la_, w_, "the build context"));
    return {};
  }
  uint64_t entries = 0;

 private:
  const LibArchive& la_;
  archive* w_;
};

struct Walk {
  TarWriter& tar;
  const build::IgnorePatterns& ignore;

  Result<void> dir(int dirfd, const std::string& rel) {
    UniqueFd copy(::dup(dirfd));
    DIR* d = ::fdopendir(copy.get());
    if (!d) return fail_errno("reading the directory " + (rel.empty() ? "." : rel) + " of the build context");
    (void)copy.release();
    std::vector<std::string> names;
    while (auto* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") names.push_back(n);
    }
    ::closedir(d);
    std::sort(names.begin(), names.end());  // a stable tar for a stable context
    for (const auto& name : names) {
      std::string child = rel.empty() ? name : rel + "/" + name;
      struct stat st {};
      if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return fail_errno("stat " + child);
      bool excluded = ignore.excluded(child);
      if (S_ISDIR(st.st_mode)) {
        if (excluded && ignore.can_skip_dir(child)) continue;
        UniqueFd sub(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!sub) return fail_errno("opening " + child + " in the build context");
        if (!excluded) TRYV(tar.add(child, sub.get(), st));
        TRYV(dir(sub.get(), child));
        continue;
      }
      if (excluded) continue;
      if (S_ISREG(st.st_mode)) {
        UniqueFd f(::openat(dirfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
        if (!f) return fail_errno("can't open " + child + " in the build context");
        TRYV(tar.add(child, f.get(), st));
      } else if (S_ISLNK(st.st_mode)) {
        UniqueFd l(::openat(dirfd, name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
        if (!l) return fail_errno("opening the link " + child);
        TRYV(tar.add(child, l.get(), st));
      }  // sockets, fifos and devices are not sent, as the docker CLI
    }
    return {};
  }
};

std::string random_name() {
  std::random_device rd;
  return fmt::format(".dockerfile.{:08x}{:04x}", rd(), rd() & 0xffff);
}

}  // namespace

Result<ContextTar> tar_context(const std::string& dir, const std::string& dockerfile, bool dockerfile_is_text) {
  const LibArchive& la = *TRY(libarchive());
  UniqueFd root(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root) return fail_errno("unable to prepare context: path \"" + dir + "\" not found");
  ContextTar out;
  std::string extra_text;  // a Dockerfile from outside the context
  if (dockerfile_is_text) {
    out.dockerfile = random_name();
    extra_text = dockerfile;
  } else if (dockerfile.empty()) {
    out.dockerfile = "Dockerfile";
  } else {
    std::error_code ec;
    auto abs_ctx = std::filesystem::weakly_canonical(dir, ec);
    auto abs_df = std::filesystem::weakly_canonical(dockerfile, ec);
    auto rel = abs_df.lexically_relative(abs_ctx).string();
    if (!rel.empty() && !rel.starts_with("..")) {
      out.dockerfile = rel;
    } else {
      auto text = read_file(dockerfile);
      if (!text) return fail(Errc::InvalidArgument, "unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat " + dockerfile + ": no such file or directory");
      out.dockerfile = random_name();
      extra_text = *text;
    }
  }
  // The Dockerfile and .dockerignore go whatever .dockerignore says (the
  // daemon drops them if it lists them): exceptions of their own keep every
  // directory on their way walked.
  std::string ignore_text = read_file(dir + "/.dockerignore").value_or("");
  auto ignore = TRY_CTX(build::IgnorePatterns::parse(ignore_text + "\n!" + out.dockerfile + "\n!.dockerignore\n"),
                        ".dockerignore");
  UniqueFd mem(::memfd_create("berth-build-context", MFD_CLOEXEC));
  if (!mem) return fail_errno("creating the build context");
  {
    TarWriter tar(la, mem.get());
    Walk walk{tar, ignore};
    TRYV(walk.dir(root.get(), ""));
    if (!extra_text.empty() || dockerfile_is_text) TRYV(tar.add_text(out.dockerfile, extra_text));
    TRYV(tar.close());
    out.entries = tar.entries;
  }
  struct stat st {};
  ::fstat(mem.get(), &st);
  out.bytes = static_cast<uint64_t>(st.st_size);
  if (::lseek(mem.get(), 0, SEEK_SET) != 0) return fail_errno("rewinding the build context");
  out.fd = std::move(mem);
  return out;
}

}  // namespace berth::cli
