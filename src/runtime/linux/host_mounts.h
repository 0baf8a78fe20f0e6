// A container without a mount namespace of its own shares the runtime's: what
// it mounts under its rootfs (proc, /dev, binds, masks) lands there too. These
// find those mounts so that a failed create or `delete` can take them away.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.h"

namespace berth::runtime {

// Mount ids now present in this process's mount namespace.
Result<std::vector<uint64_t>> mount_ids();
// Mount points at or below root whose ids are not in `before`, in mount order.
Result<std::vector<std::string>> mounts_added_under(const std::string& root, const std::vector<uint64_t>& before);
// Detaches them, last first; ones already gone are skipped.
void unmount_all(const std::vector<std::string>& mount_points);

}  // namespace berth::runtime
