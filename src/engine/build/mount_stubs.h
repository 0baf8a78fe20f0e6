// The mount points a RUN's --mount targets make in its rootfs: the runtime
// creates a missing target (and its missing parents) before it mounts over
// it, in the container's writable layer. They are found before the RUN (in
// its rootfs, mounted), and removed after it from the snapshot's own
// directory (an overlay upper dir), as BuildKit's stub cleaner does, so the
// step's layer holds only what the RUN wrote: a stub still empty goes, and
// so does a parent the mkdir copied up without changing it.
#pragma once

#include <sys/stat.h>

#include <string>
#include <vector>

#include "base/error.h"

namespace berth::engine {

class MountStubs {
 public:
  // root: the container's rootfs, mounted (the merged view); targets:
  // absolute paths in it. Paths are resolved as in a chroot.
  static Result<MountStubs> find(const std::string& root, const std::vector<std::string>& targets);
  // upper: the snapshot's own directory after the RUN; overlay: it is an
  // overlay upper dir (else a whole copy of the tree: parents stay, their
  // times are put back). Best effort: what cannot be removed stays.
  void remove(const std::string& upper, bool overlay) const;
  bool empty() const { return created_.empty(); }
  const std::vector<std::string>& created() const { return created_; }

 private:
  struct Parent {
    std::string path;  // relative to the root, resolved
    struct stat before;
  };
  std::vector<std::string> created_;  // relative, resolved; parents before children
  std::vector<Parent> parents_;       // existing directories above them, deepest last
};

}  // namespace berth::engine
