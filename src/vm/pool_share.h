// The host side of a pooled VM's one virtio-fs share (docs/vm.md, "The
// pool"). A booted microvm cannot get new devices, so a pooled VM boots with
// a single share of a per-VM directory that is a shared mount made before
// virtiofsd starts: virtiofsd's own mount namespace then holds a slave of it
// and sees what the host mounts there later. At claim the container's runner
// bind-mounts the rootfs and each volume into it (TAG -> DIR/TAG), and the
// guest, which mounts the share at /run/berth-vm/shares, finds them where a
// cold VM's per-share mounts would be.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth::vm {

// The pooled VM's share tag and where the guest mounts it (the parent of
// every per-share guest path of guest_config.h).
inline constexpr char kPoolTag[] = "pool";
inline constexpr char kPoolGuestDir[] = "/run/berth-vm/shares";

// dir (created) becomes a mount point of its own with shared propagation.
Result<void> make_shared_dir(const std::string& dir);
// source bind-mounted (recursively) on dir/name (created); read-only when asked.
Result<void> bind_into(const std::string& dir, const std::string& name, const std::string& source, bool readonly);
// Lazily detaches dir and everything mounted below it (a no-op when it is no mount).
void detach_tree(const std::string& dir);

// Removes dir and what it holds without crossing into another mount (a
// bind that outlived detach_tree stays, and so does its parent).
void remove_dir_same_fs(const std::string& dir);

}  // namespace berth::vm
