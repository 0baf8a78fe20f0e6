// Whole-tree file operations on snapshot directories. Symlinks are never
// followed: a layer's content is data, not a path to resolve.
#pragma once

#include <string>

#include "base/error.h"
#include "snapshot/snapshotter.h"

namespace berth::snapshot {

// Removes path and everything below it; a missing path is not an error.
Result<void> remove_tree(const std::string& path);
// Blocks and inodes below (and including) path, each inode counted once.
Result<Usage> disk_usage(const std::string& path);
// Copies the tree at src into dst (which must not exist) keeping owners,
// modes, times, xattrs, hard links, symlinks, device nodes and fifos.
Result<void> copy_tree(const std::string& src, const std::string& dst);

}  // namespace berth::snapshot
