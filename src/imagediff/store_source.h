// An image in berthd's store: its config and manifest as stored, and its
// layer blobs, opened when the source is made (so an `rmi` while the diff
// runs cannot take them away) and read as they are (plain or compressed).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/unique_fd.h"
#include "content/store.h"
#include "image/service.h"
#include "imagediff/source.h"

namespace berth::imagediff {

class StoreSource final : public ImageSource {
 public:
  // name: how to show the image (its familiar reference, or the ID given).
  static Result<std::unique_ptr<StoreSource>> open(const std::string& input, const std::string& name,
                                                   const image::ImageInfo& info, content::Store& store);
  const SourceImage& image() const override { return image_; }
  Result<void> read_layers(const std::vector<size_t>& wanted, const LayerFn& fn) override;

 private:
  StoreSource() = default;
  SourceImage image_;
  std::vector<UniqueFd> blobs_;  // one per layer
};

}  // namespace berth::imagediff
