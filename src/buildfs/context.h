// The build context as POST /build sends it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "base/error.h"

namespace berth::buildfs {

struct ReceivedContext {
  bool dockerfile_only = false;  // the body was a Dockerfile, not an archive
  uint64_t bytes = 0;            // bytes read from the body
  uint64_t entries = 0;          // archive entries read (device nodes, skipped, included)
};

// Receives a build context as `read` yields it (the POST /build body; 0 at
// the end): a tar, plain or gzip/bzip2/xz/zstd compressed, extracted into
// dir (exists, empty). As the docker CLI decides (IsArchive on the first
// 512 bytes): a known compression magic or a tar header with a valid
// checksum is an archive; anything else (an empty body too) is a Dockerfile
// alone, written as dir/Dockerfile (0644; `docker build - < Dockerfile`).
// Extraction is Docker's chrootarchive.Untar with dir as the root: no entry
// lands outside dir ("../x" and "/x" become x, symlinks resolve inside dir),
// hard links inside only, device nodes skipped; modes, ownership (when run
// as root), mtimes and xattrs kept.
Result<ReceivedContext> receive_context(const std::function<Result<size_t>(char*, size_t)>& read,
                                        const std::string& dir);

}  // namespace berth::buildfs
