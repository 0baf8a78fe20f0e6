// `berth image diff A B`: reads what the asked-for comparisons need from two
// image sources and compares. Layers are read only for file, apt and apk,
// each as a stream (decompressed and walked entry by entry, nothing written
// to disk); the layers both images start with (the same diff IDs in the same
// order) are read once, from the source that is not remote when one is.
// Memory: one map entry per path per image, and the layers an archive hands
// over before their turn, as maps of their own entries.
#pragma once

#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "imagediff/compare.h"
#include "imagediff/diff_types.h"
#include "imagediff/source.h"

namespace berth::imagediff {

struct DiffResult {
  std::vector<DiffType> types;
  std::optional<SizeDiff> size;
  std::optional<HistoryDiff> history;
  std::vector<MetadataChange> metadata;
  std::optional<FileDiff> file;
  std::optional<PackageDiff> apt, apk;
};

// The package databases read for apt and apk.
inline constexpr char kDpkgStatus[] = "/var/lib/dpkg/status";
inline constexpr char kDpkgStatusDir[] = "/var/lib/dpkg/status.d";
inline constexpr char kApkInstalled[] = "/lib/apk/db/installed";

Result<DiffResult> diff_images(ImageSource& a, ImageSource& b, const std::vector<DiffType>& types);

// The answer of POST /berth/v1/images/diff and of `berth image diff --json`
// (field names documented in docs/user-guide.md; they do not change).
nlohmann::ordered_json to_json(const SourceImage& a, const SourceImage& b, const DiffResult& result);

}  // namespace berth::imagediff
