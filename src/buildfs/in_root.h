// Paths inside a root (a build context, a stage's or an image's tree), as
// Docker's builder reaches them: lexically cleaned first, then every symlink
// followed as inside a chroot (absolute targets start again at the root, ".."
// stops at it). Nothing here opens anything outside the root.
#pragma once

#include <sys/stat.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth::buildfs {

// An existing object inside a root, every symlink on the way (the last too)
// followed.
struct InRoot {
  UniqueFd dir;      // O_PATH fd of the directory holding it (or the object itself when leaf is "")
  std::string leaf;  // its name in dir; "" for the root itself
  std::string path;  // its canonical path from the root ("" for the root): no symlink on it
  struct stat st {};  // lstat of the object (never a symlink)
};

// Docker's source path: one leading "/" and then one "./" dropped
// (calcCopyInfo's TrimPrefix), the rest kept as written.
std::string trim_source(std::string_view pattern);
// Go's filepath.Clean of a relative path ("" and "." are "."); nullopt when
// ".." climbs above the start.
std::optional<std::string> clean_relative(std::string_view path);
// The last element of a cleaned relative path (Go's filepath.Base).
std::string base_name(std::string_view path);

// strerror as Go words it ("no such file or directory").
std::string go_strerror(int err);

// Resolves rel (a cleaned relative path) inside root, following symlinks as
// in a chroot. NotFound (sys_errno ENOENT) when a component is missing,
// other errnos (ENOTDIR, ELOOP) as they come.
Result<InRoot> resolve_in_root(int root, const std::string& rel);

// Opens the resolved object: O_RDONLY for a file (O_NONBLOCK, so a FIFO
// swapped in does not block), a directory fd for a directory.
Result<UniqueFd> open_resolved(const InRoot& at, int flags);

}  // namespace berth::buildfs
