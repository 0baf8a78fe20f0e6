// An image in an archive file: what `docker save` / `berth save` write
// (manifest.json, the Docker 20.10 layout and the newer one whose paths point
// into blobs/), or an OCI image layout as a tar (index.json + blobs), plain or
// compressed (gzip, bzip2, xz, zstd). Read in place, in two passes: the first
// keeps only the small JSON documents (for an uncompressed archive it reads
// little more than the tar headers: layer entries are skipped with lseek),
// the second streams the layer entries asked for in the order the archive
// has them. Nothing is extracted.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/unique_fd.h"
#include "imagediff/source.h"
#include "registry/platform.h"

namespace berth::imagediff {

class ArchiveSource final : public ImageSource {
 public:
  // path must be absolute. An archive of several images is refused, naming
  // them, unless they are the platforms of one (an OCI index): then
  // `platform` (the host's when not given) chooses.
  static Result<std::unique_ptr<ArchiveSource>> open(const std::string& input, const std::string& path,
                                                     const std::optional<registry::PlatformSpec>& platform = {});
  const SourceImage& image() const override { return image_; }
  Result<void> read_layers(const std::vector<size_t>& wanted, const LayerFn& fn) override;

 private:
  ArchiveSource() = default;
  SourceImage image_;
  std::string path_;
  UniqueFd fd_;
  std::vector<std::string> layer_entries_;  // per layer: the archive entry holding its bytes
};

}  // namespace berth::imagediff
