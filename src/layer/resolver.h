// Finds the directory an entry goes into, relative to the target dirfd.
// Symlinks met on the way are followed as inside a chroot (an absolute
// target restarts at the root: Debian's /var/run -> /run must work); a ".."
// climbing above the root is refused (a layer: nothing in it may point
// out), or stays at the root as in a chroot (a container's tree, whose own
// links such as "../../.." mean its root). Nothing resolves outside it.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "base/error.h"
#include "base/unique_fd.h"
#include "layer/fs_util.h"

namespace berth::layer {

// Numeric owner of a file.
struct Owner {
  uid_t uid = 0;
  gid_t gid = 0;
};

struct ResolveOptions {
  // ".." above the root while following a symlink: stay at the root (as
  // openat2's RESOLVE_IN_ROOT) instead of refusing the entry.
  bool clamp_dotdot = false;
  // Owner of directories created on the way; unset: the caller's.
  std::optional<Owner> owner;
  EntryNaming naming;
};

class Resolver {
 public:
  explicit Resolver(int root, ResolveOptions options = {}) : root_(root), opt_(std::move(options)) {}

  // An O_PATH fd of directory rel ("" = the root), owned by the resolver and
  // valid until the next call or forget(). Missing directories are created
  // (0755, as tar -x does) when create is set, else NotFound. Errors name entry.
  Result<int> parent_dir(const std::string& rel, const std::string& entry, bool create = true);
  // Drops the cached directory (after removals that may have taken it).
  void forget() {
    cached_rel_.clear();
    cached_.reset();
    have_cached_ = false;
  }

 private:
  Result<UniqueFd> walk(const std::string& rel, const std::string& entry, bool create);

  int root_;
  ResolveOptions opt_;
  // Consecutive entries mostly share a parent.
  bool have_cached_ = false;
  std::string cached_rel_;
  UniqueFd cached_;
};

}  // namespace berth::layer
