// Host directories shared into the guest (virtio-fs, or 9p where the guest
// kernel has it), mounted where the host's create request says.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "vmproto/messages.h"

namespace berth::vmagent {

// Creates the target directory (and parents) and mounts the share there.
Result<void> mount_share(const vmproto::Share& share);
// Unmounts (lazily: a process may still hold a file) in reverse order.
void unmount_shares(const std::vector<std::string>& targets);
// mkdir -p (0755).
Result<void> mkdir_all(const std::string& path);
// rm -rf of an agent-owned state directory, staying on its file system.
void remove_tree(const std::string& path);

}  // namespace berth::vmagent
