// Shared by the OCI-layout and docker-archive importers (newer `docker save`
// archives carry an OCI layout).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "image/archive_reader.h"
#include "image/oci_layout.h"

namespace berth::image::detail {

// Where a layout's files come from: read a small file; make a blob (verified)
// available in the content store.
struct LayoutSource {
  std::function<Result<std::string>(const std::string& path)> read_file;
  std::function<Result<void>(const Descriptor& d)> fetch_blob;
};

LayoutSource archive_source(const ArchiveContents& contents);

Result<std::vector<ImageInfo>> import_layout(ImageService& svc, const LayoutSource& src,
                                             const OciImportOptions& options);

}  // namespace berth::image::detail
