// The image store's filesystem for ImageFsInfo: the bytes and inodes its
// directories use, and the mountpoint of the filesystem holding them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.h"

namespace berth::cri {

struct FsUsage {
  std::string mountpoint;
  uint64_t used_bytes = 0;   // allocated blocks, each hard-linked file once
  uint64_t inodes_used = 0;  // distinct inodes, directories included
};

// dirs: the store's directories (content, snapshots); missing ones count 0.
// The mountpoint is the first directory's (the one that exists).
Result<FsUsage> measure_fs_usage(const std::vector<std::string>& dirs);

// The mountpoint of the filesystem that holds path: the highest ancestor on the same device.
Result<std::string> mountpoint_of(const std::string& path);

}  // namespace berth::cri
