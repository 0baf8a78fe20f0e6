// Applies the mount descriptions a Snapshotter returns, safely in a
// multi-threaded daemon: nothing here changes the process's working directory
// (Mount::chdir is honoured without chdir(2) on the calling thread).
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "snapshot/snapshotter.h"

namespace berth::snapshot {

// Mounts ms in order on target (later ones stack on earlier ones, as
// containerd's mount.All does). On failure the mounts made so far are undone.
Result<void> mount_all(const std::vector<Mount>& ms, const std::string& target);

// Unmounts everything stacked on target. A mount still busy after a few
// tries is detached lazily (MNT_DETACH) and a warning is logged; a target
// that is missing or not a mount point is not an error.
Result<void> unmount_all(const std::string& target);

// How an overlay is mounted. mount_all picks the first that works, in this
// order; the others are exposed so that tests can exercise each one.
enum class OverlayMethod {
  NewApi,          // fsopen + fsconfig("lowerdir+" one layer at a time) + fsmount (kernel >= 6.8)
  ClassicAbsolute, // mount(2) with absolute paths: only when the data fits in one page
  ClassicRelative, // mount(2) with Mount::chdir-relative paths, from a short-lived thread that
                   // unshare(CLONE_FS)s and chdirs only itself
};
const char* overlay_method_name(OverlayMethod method);

// Mounts one overlay description m on target with the given method.
Result<void> mount_overlay(const Mount& m, const std::string& target, OverlayMethod method);

}  // namespace berth::snapshot
