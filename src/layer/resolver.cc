#include "layer/resolver.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <unistd.h>

#include <deque>
#include <vector>

#include "base/strings.h"
#include "layer/fs_util.h"
#include "sys/syscalls.h"

namespace berth::layer {
namespace {
constexpr int kMaxSymlinkHops = 40;
}

// The slow path: component by component, creating missing directories.
Result<UniqueFd> Resolver::walk(const std::string& rel, const std::string& entry, bool create) {
  std::vector<UniqueFd> stack;  // open dirs below the root; empty = at the root
  std::deque<std::string> todo;
  for (auto& c : split(rel, '/', /*skip_empty=*/true)) todo.push_back(std::move(c));
  int hops = 0;
  auto cur = [&] { return stack.empty() ? root_ : stack.back().get(); };
  while (!todo.empty()) {
    std::string c = std::move(todo.front());
    todo.pop_front();
    if (c.empty() || c == ".") continue;
    if (c == "..") {
      if (!stack.empty()) {
        stack.pop_back();
      } else if (!opt_.clamp_dotdot) {
        return opt_.naming.refuse(entry, "a symlink in its path leads outside " + opt_.naming.root);
      }
      continue;
    }
    struct stat st;
    if (::fstatat(cur(), c.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno != ENOENT || !create) return fail_errno(opt_.naming.entry(entry) + ": looking up " + c);
      // Tars may omit parent directories; create them as tar -x does.
      if (::mkdirat(cur(), c.c_str(), 0755) != 0) {
        if (errno != EEXIST) return fail_errno(opt_.naming.entry(entry) + ": creating directory " + c);
      } else if (opt_.owner && ::fchownat(cur(), c.c_str(), opt_.owner->uid, opt_.owner->gid, AT_SYMLINK_NOFOLLOW) != 0) {
        return fail_errno(opt_.naming.entry(entry) + ": setting the owner of directory " + c);
      }
      st.st_mode = S_IFDIR;
    }
    if (S_ISLNK(st.st_mode)) {
      if (++hops > kMaxSymlinkHops) return opt_.naming.refuse(entry, "too many symlinks in its path");
      char target[4096];
      ssize_t n = ::readlinkat(cur(), c.c_str(), target, sizeof(target) - 1);
      if (n < 0) return fail_errno(opt_.naming.entry(entry) + ": reading symlink " + c);
      std::string t(target, static_cast<size_t>(n));
      if (t.starts_with('/')) stack.clear();  // absolute: relative to the layer root
      auto parts = split(t, '/', /*skip_empty=*/true);
      todo.insert(todo.begin(), parts.begin(), parts.end());
      continue;
    }
    if (!S_ISDIR(st.st_mode)) return opt_.naming.refuse(entry, "parent component \"" + c + "\" is not a directory");
    UniqueFd next(::openat(cur(), c.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!next) return fail_errno(opt_.naming.entry(entry) + ": opening directory " + c);
    stack.push_back(std::move(next));
  }
  if (stack.empty()) return UniqueFd(::openat(root_, ".", O_PATH | O_DIRECTORY | O_CLOEXEC));
  return std::move(stack.back());
}

Result<int> Resolver::parent_dir(const std::string& rel, const std::string& entry, bool create) {
  if (have_cached_ && cached_rel_ == rel) return cached_.get();
  forget();
  open_how how{};
  how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
  how.resolve = (opt_.clamp_dotdot ? RESOLVE_IN_ROOT : RESOLVE_BENEATH) | RESOLVE_NO_MAGICLINKS;
  // Fast path: the kernel resolves when nothing is missing (and, refusing,
  // no symlink leaves the tree); anything else (EXDEV, ENOENT, ...) takes
  // the slow walk.
  int fd = rel.empty() ? ::openat(root_, ".", O_PATH | O_DIRECTORY | O_CLOEXEC)
                       : sys::openat2(root_, rel.c_str(), &how);
  if (fd >= 0) {
    cached_.reset(fd);
  } else {
    cached_ = TRY(walk(rel, entry, create));
  }
  cached_rel_ = rel;
  have_cached_ = true;
  return cached_.get();
}

}  // namespace berth::layer
