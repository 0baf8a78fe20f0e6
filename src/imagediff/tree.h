// An image's final filesystem as a map of paths to what `ls -l` and a
// content hash would tell of them, built from its layer tars in order:
// whiteouts (`.wh.NAME`) delete from the layers below, an opaque directory
// (`.wh..wh..opq`) hides everything below it in lower layers, an entry over
// a directory of another type replaces the whole directory, and a hard link
// takes its target's metadata and content. File contents are never kept,
// only their sha256 (and, for the few files asked for, such as a package
// database, their bytes).
#pragma once

#include <archive.h>

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace berth::imagediff {

enum class FileType : uint8_t { Regular, Directory, Symlink, CharDevice, BlockDevice, Fifo, Socket };
// "file", "dir", "symlink", "char", "block", "fifo", "socket" (the JSON's words).
std::string_view file_type_name(FileType t);

using Sha256 = std::array<uint8_t, 32>;

struct FileInfo {
  FileType type = FileType::Regular;
  uint32_t mode = 0;  // permission bits with setuid/setgid/sticky (07777)
  uint32_t uid = 0, gid = 0;
  uint64_t size = 0;  // regular files only
  uint64_t rdev = 0;  // devices only
  std::string link;   // a symlink's target
  std::optional<Sha256> digest;  // a regular file's content, when hashed
  bool operator==(const FileInfo&) const = default;
};

// Absolute, normalized paths ("/etc/passwd"); the root itself is not listed.
using FileTree = std::map<std::string, FileInfo>;

// A layer tar read once: what it deletes and what it adds, in tar order.
struct LayerScan {
  struct Entry {
    std::string path;
    FileInfo info;
    std::string hardlink_to;  // set for a hard link: info is its target's once applied
  };
  std::vector<std::string> whiteouts;    // paths removed from the layers below
  std::vector<std::string> opaque_dirs;  // directories whose lower contents are hidden
  std::vector<Entry> entries;
  std::map<std::string, std::string> captured;  // path -> bytes, for the paths ScanOptions asked for
  // aufs' hard link targets (/.wh..wh.plnk/*): not files of the image, but
  // its hard links may point at them.
  std::map<std::string, FileInfo> hidden;
  uint64_t file_bytes = 0;  // regular files' bytes in the layer
};

struct ScanOptions {
  bool hash_contents = true;
  // Paths whose bytes to keep (package databases); nullptr: none.
  std::function<bool(std::string_view path)> capture;
  uint64_t capture_limit = uint64_t{64} << 20;  // per file; more is InvalidArgument
};

// Reads every entry of an opened tar reader (a layer's, see layer/tar_input.h).
// An entry whose name leaves the root ("..") is InvalidArgument naming it;
// `what` prefixes read errors ("layer 2 of busybox:1").
Result<LayerScan> scan_layer(archive* tar, const std::string& what, const ScanOptions& options);

// "./a//b/" -> "/a/b"; "" for the root; nullopt for a name with "..".
std::optional<std::string> normalize_entry_path(std::string_view name);

// The filesystem seen through the layers applied so far.
struct ImageFs {
  FileTree files;
  std::map<std::string, std::string> captured;  // of files still present, from the layer that put them there

  // Applies the next layer up (consumes it).
  void apply(LayerScan&& layer);
};

}  // namespace berth::imagediff
