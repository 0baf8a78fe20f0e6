// Finding COPY/ADD sources: calcCopyInfo and copyWithWildcards of Docker's
// legacy builder, on an fd of the source root.
#include <fcntl.h>
#include <sys/stat.h>

#include "base/strings.h"
#include "buildfs/glob.h"
#include "buildfs/in_root.h"
#include "buildfs/sources.h"
#include "layer/fs_util.h"

namespace berth::buildfs {
namespace {

// Go's os.PathError text for a failed stat of name.
std::string stat_error(const std::string& name, int err) {
  return "stat " + name + ": " + (err == ENOENT ? std::string("file does not exist") : go_strerror(err));
}

// One source without wildcards (calcCopyInfo with allowWildcards false).
Result<Source> source_at(int root, const std::string& orig, SourceRoot kind) {
  auto rel = clean_relative(orig);
  if (!rel) return fail(Errc::InvalidArgument, "forbidden path outside the build context: " + orig + " ()");
  auto at = resolve_in_root(root, *rel);
  if (!at) {
    int err = at.error().sys_errno;
    if (err == ENOENT && kind == SourceRoot::context)
      return fail(Errc::NotFound,
                  "file not found in build context or excluded by .dockerignore: " + stat_error(orig, ENOENT));
    if (err == ENOENT) return fail(Errc::NotFound, stat_error(orig, ENOENT));
    if (err != 0) return fail(errc_from_errno(err), stat_error(orig, err));
    return std::unexpected(std::move(at).error());
  }
  return Source{*rel, S_ISDIR(at->st.st_mode)};
}

// The walk of copyWithWildcards, pruned: '*', '?' and classes never match
// '/', so a match has as many elements as the pattern and each element
// matches its segment. Symlinks are not entered (filepath.Walk lstats).
class GlobWalk {
 public:
  GlobWalk(std::string pattern) : pattern_(std::move(pattern)), segments_(split(pattern_, '/')) {}

  Result<void> run(int root, std::vector<std::string>& out) {
    UniqueFd top(::openat(root, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!top) return fail_errno("opening the source root");
    return walk(top.get(), "", 0, out);
  }

 private:
  Result<void> walk(int dirfd, const std::string& prefix, size_t depth, std::vector<std::string>& out) {
    bool last = depth + 1 == segments_.size();
    auto names = TRY_CTX(layer::list_dir(dirfd), "walking " + (prefix.empty() ? std::string(".") : prefix));
    for (const auto& name : names) {
      // A malformed segment (an escaped '/' split it) prunes nothing: the
      // whole pattern decides below, as Go's Match on the whole path does.
      if (go_match(segments_[depth], name) == GlobMatch::No) continue;
      std::string rel = prefix.empty() ? name : prefix + "/" + name;
      if (last) {
        if (go_match(pattern_, rel) == GlobMatch::Yes) out.push_back(rel);
        continue;
      }
      struct stat st;
      if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return fail_errno("lstat " + rel);
      if (!S_ISDIR(st.st_mode)) continue;
      UniqueFd sub(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!sub) return fail_errno("opening " + rel);
      TRYV(walk(sub.get(), rel, depth + 1, out));
    }
    return {};
  }

  std::string pattern_;
  std::vector<std::string> segments_;
};

}  // namespace

Result<std::vector<Source>> resolve_sources(int root_fd, const std::vector<std::string>& patterns,
                                            SourceRoot kind) {
  std::vector<Source> out;
  for (const auto& pattern : patterns) {
    std::string orig = trim_source(pattern);
    if (!contains_wildcards(orig)) {
      out.push_back(TRY(source_at(root_fd, orig, kind)));
      continue;
    }
    std::vector<std::string> matches;
    TRYV(GlobWalk(orig).run(root_fd, matches));
    for (const auto& rel : matches) out.push_back(TRY(source_at(root_fd, rel, kind)));
  }
  if (out.empty()) return fail(Errc::InvalidArgument, "no source files were specified");
  return out;
}

Result<std::vector<Source>> resolve_sources(int root_fd, const std::vector<std::string>& patterns) {
  return resolve_sources(root_fd, patterns, SourceRoot::context);
}

}  // namespace berth::buildfs
