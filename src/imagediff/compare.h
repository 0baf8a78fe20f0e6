// The comparisons themselves, pure: two final filesystems, two configs, two
// layer lists, two package lists in; what differs out.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "image/oci.h"
#include "imagediff/packages.h"
#include "imagediff/source.h"
#include "imagediff/tree.h"

namespace berth::imagediff {

struct FileEntry {
  std::string path;
  FileInfo info;
};

struct FileChange {
  std::string path;
  FileInfo a, b;
  // What differs, in this order: "type", "size", "content", "mode", "owner", "link", "device".
  std::vector<std::string> what;
};

struct FileDiff {
  std::vector<FileEntry> added;    // in B only
  std::vector<FileEntry> removed;  // in A only
  std::vector<FileChange> changed;
};

// A path is changed when its type, size, content (sha256, compared when the
// sizes are equal), permission bits, owner, symlink target or device number
// differ. Times are not compared: a rebuild changes them all.
FileDiff compare_files(const FileTree& a, const FileTree& b);

struct LayerSize {
  content::Digest diff_id = content::sha256({});
  int64_t size = -1;    // the blob's size as the source holds it; -1 unknown
  bool shared = false;  // the other image has this layer at the same place (the same stack below it)
};

struct SizeDiff {
  std::vector<LayerSize> a, b;
  int64_t total_a = 0, total_b = 0;  // sums of the known sizes
};

SizeDiff compare_sizes(const SourceImage& a, const SourceImage& b);

struct HistoryDiff {
  size_t shared = 0;  // entries both start with (same created_by, comment and empty_layer)
  std::vector<image::History> only_a, only_b;  // the rest of each, oldest first
};

HistoryDiff compare_history(const image::ImageConfig& a, const image::ImageConfig& b);

struct MetadataChange {
  std::string field;    // Docker's name: "Env", "Cmd", "Labels", "ExposedPorts", "Architecture", ...
  std::string key;      // the variable, label, port or volume; "" for a whole field
  nlohmann::json a, b;  // null when absent on that side
};

// Architecture, Os, Variant, Author, then the container config: User,
// WorkingDir, Entrypoint, Cmd, Env (per variable), Labels (per label),
// ExposedPorts and Volumes (per entry), StopSignal, Healthcheck, Shell,
// OnBuild, StopTimeout.
std::vector<MetadataChange> compare_metadata(const image::ImageConfig& a, const image::ImageConfig& b);

struct PackageChange {
  std::string key;
  Package a, b;
};

struct PackageDiff {
  bool a_has_database = false, b_has_database = false;
  std::vector<Package> only_a, only_b;
  std::vector<PackageChange> changed;  // version (or size) differs
};

// A side without a database (nullopt) lists nothing.
PackageDiff compare_packages(const std::optional<PackageIndex>& a, const std::optional<PackageIndex>& b);

}  // namespace berth::imagediff
