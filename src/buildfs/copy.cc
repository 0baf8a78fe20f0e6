// COPY/ADD: where each source goes (performCopyForInfo's rules) and how
// (a tree copy, a file copy, or ADD's archive extraction).
#include "buildfs/copy.h"
#include "layer/archive_error.h"

#include <archive.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/strings.h"
#include "buildfs/extract.h"
#include "buildfs/in_root.h"
#include "buildfs/tree_copy.h"
#include "layer/container_archive.h"
#include "layer/tar_reader.h"

namespace berth::buildfs {
namespace {

using layer::container_fs::clean_parts;

std::string show(const std::vector<std::string>& parts) { return "/" + join(parts, "/"); }

// Docker's normalizeDest: a relative dest is joined to the working
// directory (path.Join cleans it), a trailing "/" kept.
std::string normalize_dest(const std::string& workdir, const std::string& dest) {
  if (dest.starts_with('/')) return dest;
  std::string joined = show(clean_parts(workdir + "/" + dest));
  if (dest.ends_with('/') && joined != "/") joined += '/';
  return joined;
}

// dest inside the root with every symlink followed, the last too, and a
// missing rest taken by name (moby's FollowSymlinkInScope).
Result<std::vector<std::string>> dest_in_root(int root, const std::string& dest) {
  std::string canonical = TRY_CTX(layer::container_fs::eval_in_scope(root, clean_parts(dest)),
                                  "resolving the destination " + dest);
  return clean_parts(canonical);
}

struct DestDir {
  UniqueFd fd;
  bool created = false;  // the last element was made now
};

// Directory parts (canonical) in root as an fd, made with whatever is
// missing on the way (0755, owned by owner).
Result<DestDir> open_dest_dir(int root, const std::vector<std::string>& parts, const Owner& owner) {
  DestDir out;
  if (parts.empty()) {
    out.fd.reset(::openat(root, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!out.fd) return fail_errno("opening the destination root");
    return out;
  }
  std::vector<std::string> parent_parts(parts.begin(), parts.end() - 1);
  auto r = TRY(layer::container_fs::resolve(root, parent_parts, /*follow_last=*/true, /*create_dirs=*/true,
                                            layer::Owner{owner.uid, owner.gid}));
  UniqueFd parent(r.leaf.empty() ? ::openat(r.dir.get(), ".", O_PATH | O_DIRECTORY | O_CLOEXEC)
                                 : ::openat(r.dir.get(), r.leaf.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!parent) return fail_errno(show(parent_parts) + ": opening the directory");
  const char* leaf = parts.back().c_str();
  if (::mkdirat(parent.get(), leaf, 0700) == 0) {
    out.created = true;
  } else if (errno != EEXIST) {
    return fail_errno("creating directory " + show(parts));
  }
  out.fd.reset(::openat(parent.get(), leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!out.fd) {
    if (errno == ENOTDIR || errno == ELOOP) return fail(Errc::InvalidArgument, show(parts) + ": not a directory");
    return fail_errno("opening directory " + show(parts));
  }
  if (out.created) {
    if (::fchown(out.fd.get(), owner.uid, owner.gid) != 0) return fail_errno("setting the owner of " + show(parts));
    if (::fchmod(out.fd.get(), 0755) != 0) return fail_errno("setting the mode of " + show(parts));
  }
  return out;
}

// ADD's isArchivePath: a tar (plain, gzip, bzip2 or xz) with at least one
// readable header. The fd is rewound.
Result<bool> is_archive(int fd) {
  layer::ArchiveReader a(archive_read_new());
  if (!a) return fail(Errc::Internal, "allocating a tar reader");
  archive_read_support_filter_gzip(a.get());
  archive_read_support_filter_bzip2(a.get());
  archive_read_support_filter_xz(a.get());
  archive_read_support_format_tar(a.get());
  bool yes = false;
  if (archive_read_open_fd(a.get(), fd, 64 * 1024) == ARCHIVE_OK) {
    archive_entry* e;
    int r = archive_read_next_header(a.get(), &e);
    yes = r == ARCHIVE_OK || r == ARCHIVE_WARN;
  }
  if (::lseek(fd, 0, SEEK_SET) != 0) return fail_errno("rewinding the archive");
  return yes;
}

// ADD of a local archive: Docker's UntarPath into dest (made when missing),
// with dest as the extraction's root.
Result<uint64_t> extract_archive(int fd, const std::string& name, int dst_root, const std::vector<std::string>& parts,
                                 const Owner& owner) {
  auto d = TRY(open_dest_dir(dst_root, parts, owner));
  layer::ArchiveReader a(archive_read_new());
  if (!a) return fail(Errc::Internal, "allocating a tar reader");
  archive_read_support_filter_gzip(a.get());
  archive_read_support_filter_bzip2(a.get());
  archive_read_support_filter_xz(a.get());
  archive_read_support_format_tar(a.get());
  if (archive_read_open_fd(a.get(), fd, 256 * 1024) != ARCHIVE_OK)
    return fail(Errc::InvalidArgument, "reading " + name + ": " + layer::archive_message(a.get()));
  return extract_entries(a.get(), d.fd.get(), {name, show(parts), false});
}

Result<bool> is_existing_dir(int root, const std::vector<std::string>& parts) {
  auto at = resolve_in_root(root, parts.empty() ? "." : join(parts, "/"));
  if (!at) {
    if (at.error().sys_errno == ENOENT || at.error().sys_errno == ENOTDIR) return false;
    return std::unexpected(std::move(at).error());
  }
  return S_ISDIR(at->st.st_mode);
}

}  // namespace

Result<uint64_t> copy_sources(int src_root, const std::vector<Source>& sources, int dst_root, const std::string& dest,
                              const std::string& workdir, const CopyOptions& options) {
  std::string cmd = options.extract_archives ? "ADD" : "COPY";
  if (sources.size() > 1 && !dest.ends_with('/'))
    return fail(Errc::InvalidArgument, "When using " + cmd +
                                           " with more than one source file, the destination must be a directory "
                                           "and end with a /");
  const std::string target = normalize_dest(workdir, dest);
  const bool into = target.ends_with('/');
  const Owner created = options.chown.value_or(Owner{});
  uint64_t written = 0;
  for (const auto& s : sources) {
    auto src = TRY_CTX(resolve_in_root(src_root, s.rel), "source path not found");
    // Per source, as Docker: an earlier one may have made dest a directory.
    auto parts = TRY(dest_in_root(dst_root, target));
    if (S_ISDIR(src.st.st_mode)) {  // its contents, into dest
      auto d = TRY(open_dest_dir(dst_root, parts, created));
      TreeCopier copier(options, d.fd.get());
      if (d.created) TRYV(copier.created_dir(d.fd.get()));
      UniqueFd from = TRY(open_resolved(src, O_RDONLY | O_DIRECTORY));
      TRYV_CTX(copier.children(from.get(), d.fd.get(), ""), cmd + " " + s.rel + " to " + show(parts));
      written += copier.written();
      continue;
    }
    if (options.extract_archives && S_ISREG(src.st.st_mode)) {
      UniqueFd file = TRY(open_resolved(src, O_RDONLY | O_NONBLOCK));
      if (TRY(is_archive(file.get()))) {
        written += TRY(extract_archive(file.get(), s.rel, dst_root, parts, created));
        continue;
      }
    }
    // A file goes inside dest when dest says "/" or is a directory, under
    // the name it was asked by (a symlink's own name, not its target's).
    if (into || TRY(is_existing_dir(dst_root, parts))) parts.push_back(base_name(s.rel));
    if (parts.empty()) return fail(Errc::InvalidArgument, "cannot copy " + s.rel + " over the root directory");
    std::string leaf = parts.back();
    std::string shown = show(parts);
    parts.pop_back();
    auto d = TRY(open_dest_dir(dst_root, parts, created));
    TreeCopier copier(options, d.fd.get());
    TRYV(copier.entry(src.dir.get(), src.leaf, src.st, d.fd.get(), leaf, shown));
    written += copier.written();
  }
  return written;
}

}  // namespace berth::buildfs
