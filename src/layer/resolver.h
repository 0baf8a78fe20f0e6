// Finds the directory an entry goes into, relative to the target dirfd.
// Symlinks met on the way are followed as inside a chroot (an absolute
// target restarts at the root: Debian's /var/run -> /run must work), and a
// ".." climbing above the root is refused: nothing resolves outside it.
#pragma once

#include <string>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth::layer {

class Resolver {
 public:
  explicit Resolver(int root) : root_(root) {}

  // An O_PATH fd of directory rel ("" = the root), owned by the resolver and
  // valid until the next call or forget(). Missing directories are created
  // (0755, as tar -x does) when create is set. Errors name entry.
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
  // Consecutive entries mostly share a parent.
  bool have_cached_ = false;
  std::string cached_rel_;
  UniqueFd cached_;
};

}  // namespace berth::layer
