// Reads an image archive (OCI layout tar, docker-archive) in one pass: small
// metadata files (manifest.json, index.json, <id>/json, ...) into memory,
// everything else streamed into the content store, where entries named
// blobs/<alg>/<hex> are verified against their name. Entry paths are
// normalised ("./a" -> "a") and ones with ".." are refused.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "base/error.h"
#include "content/store.h"

namespace berth::image {

struct ArchiveContents {
  std::map<std::string, std::string> files;             // small metadata files
  std::map<std::string, content::Digest> blobs;         // path -> blob in the store
  std::map<std::string, std::string> links;             // symlink path -> target as written

  // The blob at `path`, following symlinks (docker save links repeated layers).
  Result<content::Digest> blob(const std::string& path) const;
};

Result<ArchiveContents> read_archive(int fd, content::Store& store);

// Decompresses (gzip, zstd, ... or passes through) everything readable from fd.
Result<void> decompress(int fd, const std::function<Result<void>(std::string_view)>& out);

}  // namespace berth::image
