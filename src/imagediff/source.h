// Where an image to compare comes from: berthd's store, a registry, or an
// archive file. A source describes the image (its config, and its layers as
// the config and the manifest list them) and then streams the layers asked
// for, each once, in whatever order it reads them best (an archive in the
// order its entries come); nothing is unpacked or stored on the way.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "image/oci.h"
#include "layer/byte_source.h"

namespace berth::imagediff {

struct SourceLayer {
  content::Digest diff_id = content::sha256({});  // from the config: the tar's sha256
  std::optional<content::Digest> blob;  // the blob's digest when the source names it (checked as it streams)
  int64_t size = -1;                    // the blob's size as the source holds it; -1 unknown
  std::string media_type;               // empty when the source does not say
};

struct SourceImage {
  std::string input;   // as the user gave it ("busybox", "remote://host/a:b", "/tmp/a.tar")
  std::string kind;    // "daemon", "remote" or "archive"
  std::string name;    // for messages and headings: a familiar reference or the path
  std::string id;      // "sha256:..." (the config's digest)
  std::string config_bytes;
  image::ImageConfig config;
  std::vector<SourceLayer> layers;  // bottom first; as many as the config's diff IDs
};

class ImageSource {
 public:
  virtual ~ImageSource() = default;
  virtual const SourceImage& image() const = 0;
  // Reading from it costs a network round trip per layer (a registry): a
  // layer both images share is read from the other one.
  virtual bool remote() const { return false; }
  // Calls fn(index, bytes) once for each index in `wanted` (ascending, no
  // duplicates), in the source's own order; the bytes are the layer's blob
  // (compressed or not). fn must read to the end. An error from fn stops the
  // reading and is returned.
  using LayerFn = std::function<Result<void>(size_t index, layer::ByteSource& bytes)>;
  virtual Result<void> read_layers(const std::vector<size_t>& wanted, const LayerFn& fn) = 0;
};

}  // namespace berth::imagediff
