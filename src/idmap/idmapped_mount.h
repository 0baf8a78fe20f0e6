// The kernel side of userns-remap: a user namespace holding the remap's
// mappings (made once, kept as an fd: idmapped mounts only need its fd), an
// idmapped bind mount, and running host-side file work as the container's
// root (fsuid/fsgid in the range) so files written through an idmapped mount
// are representable.
#pragma once

#include <functional>
#include <string>

#include "base/error.h"
#include "base/unique_fd.h"
#include "idmap/remap.h"

namespace berth::idmap {

// A user namespace with remap's uid and gid mappings and no process in it
// (a short-lived child is made in it, its maps written, the fd kept).
Result<UniqueFd> make_userns(const Remap& remap);

// Binds source on target (an existing directory) with the ids seen through
// the mount shifted by userns_fd's mappings: a file owned by 0 on disk is
// owned by the range's first id through it, and a write by that id lands as
// 0 on disk. EINVAL from the kernel means the filesystem cannot be idmapped.
Result<void> idmapped_bind(const std::string& source, const std::string& target, int userns_fd);

// Runs fn on a thread of its own whose filesystem ids are uid/gid (with the
// daemon's capabilities kept): what it creates through an idmapped mount is
// owned by the range on the mount and by the unshifted ids on disk, and
// overlayfs records these ids as its mounter's for its work directory.
Result<void> with_fs_ids(uint32_t uid, uint32_t gid, const std::function<Result<void>()>& fn);

}  // namespace berth::idmap
