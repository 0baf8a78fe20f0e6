// OCI image layout (image-spec image-layout.md): `oci-layout`, `index.json`
// and blobs/<alg>/<hex>, as a directory or a tar stream. What skopeo's
// oci:DIR:TAG and umoci read and write.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "image/service.h"

namespace berth::image {

inline constexpr std::string_view kRefNameAnnotation = "org.opencontainers.image.ref.name";
inline constexpr std::string_view kContainerdNameAnnotation = "io.containerd.image.name";

struct OciExportOptions {
  // Value of org.opencontainers.image.ref.name; the reference's tag when empty.
  std::string ref_name;
};

// Writes image `ref` as a layout into `dir` (created if missing; an existing
// index.json there is replaced).
Result<void> export_oci_layout_dir(ImageService& svc, std::string_view ref, const std::string& dir,
                                   const OciExportOptions& options = {});
// Same as a tar stream on fd.
Result<void> export_oci_layout_tar(ImageService& svc, std::string_view ref, int fd,
                                   const OciExportOptions& options = {});

struct OciImportOptions {
  std::string ref_name;   // import only manifests with this ref.name; all when empty
  std::string reference;  // tag the images so; else io.containerd.image.name, or a ref.name that is a full reference
};

// Imports every selected manifest. Each blob is verified against its digest;
// a missing blob is NotFound, a mismatch InvalidArgument, both naming it.
Result<std::vector<ImageInfo>> import_oci_layout_dir(ImageService& svc, const std::string& dir,
                                                     const OciImportOptions& options = {});
Result<std::vector<ImageInfo>> import_oci_layout_tar(ImageService& svc, int fd,
                                                     const OciImportOptions& options = {});

}  // namespace berth::image
