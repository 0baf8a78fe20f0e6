// The container's filesystem view, set up by its first process inside the new
// mount namespace. Every destination is resolved inside the rootfs with
// openat2(RESOLVE_IN_ROOT), so a symlink in the image cannot send a mount to
// the host. Child-side, allocation-free; failures go to the sync socket.
#pragma once

#include "runtime/launch/plan.h"

namespace berth::runtime {

// Mount propagation, the rootfs bind, config mounts, /dev, the cwd.
int prepare_rootfs(const RootfsPlan& r, int sync_fd);
// pivot_root (or MS_MOVE + chroot with --no-pivot) and detach of the old root.
int enter_rootfs(const RootfsPlan& r, int sync_fd);
// After the pivot: sysctls, masked and read-only paths, read-only root.
int finalize_rootfs(const RootfsPlan& r, int sync_fd);

// Opens path (absolute, inside the root) as O_PATH resolved in root; with
// create, makes missing components (directories, and the last one as a file
// when !dir). Returns an fd or -1 with errno.
int open_in_root(int rootfd, const char* path, bool create, bool dir);

}  // namespace berth::runtime
