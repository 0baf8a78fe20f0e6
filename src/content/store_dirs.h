// Internal to the store: the directory fds every operation is relative to,
// and small fd helpers shared by store.cc, writer.cc and gc.cc.
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"
#include "base/unique_fd.h"
#include "content/digest.h"

namespace berth::content::detail {

struct StoreDirs {
  std::string root;
  UniqueFd root_fd;
  UniqueFd blobs_fd;   // ROOT/blobs
  UniqueFd ingest_fd;  // ROOT/ingest (only *at calls on it: no shared dir offset)
};

inline constexpr const char* kBlobsDir = "blobs";
inline constexpr const char* kIngestDir = "ingest";
inline constexpr size_t kChunk = 1 << 20;

// "<algorithm>/<hex>" relative to blobs_fd; safe because Digest is validated.
inline std::string blob_rel(const Digest& d) { return d.algorithm() + "/" + d.hex(); }

// Full path for messages only; never used to open anything.
inline std::string blob_path(const StoreDirs& dirs, const Digest& d) {
  return dirs.root + "/" + kBlobsDir + "/" + blob_rel(d);
}

Result<void> write_all(int fd, std::string_view data, const std::string& what);
// Creates dir `name` under dirfd unless it exists.
Result<void> ensure_dir_at(int dirfd, const std::string& name, const std::string& what);
// fsync of a directory, so a rename or unlink in it is durable.
Result<void> sync_dir_at(int dirfd, const std::string& name, const std::string& what);

}  // namespace berth::content::detail
