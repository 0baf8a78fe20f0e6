// What the gzip (gzip_layer's format) of a plain layer is, once a push has
// made it: diff ID -> digest and size, one small file per layer under
// DIR/<diff ID hex> ("sha256:<hex> <size>"). Like dockerd's v2 metadata, it
// lets a later push ask the registry for the blob (HEAD) or mount it without
// compressing the layer again; the compressed bytes themselves are not kept.
// A missing or unreadable entry only costs a compression.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "content/digest.h"

namespace berth::registry {

struct CompressedBlob {
  content::Digest digest = content::sha256({});
  uint64_t size = 0;
};

class GzipDigests {
 public:
  explicit GzipDigests(std::string dir) : dir_(std::move(dir)) {}
  // The directory for an image root: ROOT/distribution/gzip-v1 (the format's version).
  static GzipDigests under(const std::string& image_root);

  std::optional<CompressedBlob> lookup(const content::Digest& diff_id) const;
  // Best effort: a failure is logged, the push goes on.
  void record(const content::Digest& diff_id, const CompressedBlob& blob) const;

 private:
  std::string dir_;
};

}  // namespace berth::registry
