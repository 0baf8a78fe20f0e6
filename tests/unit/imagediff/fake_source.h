// In-memory images for the image diff tests: layers are tars made with
// libarchive (tests/unit/layer/tar_builder.h), the config is built from
// them, and the source hands the layers over in an order the test picks,
// counting what it was asked for.
#pragma once

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "../layer/tar_builder.h"
#include "imagediff/source.h"

namespace berth::imagediff::testing {

using layer_test::TarEntry;

class StringSource final : public layer::ByteSource {
 public:
  explicit StringSource(const std::string& bytes) : bytes_(bytes) {}
  Result<size_t> read(char* buf, size_t cap) override {
    size_t n = std::min(cap, bytes_.size() - pos_);
    bytes_.copy(buf, n, pos_);
    pos_ += n;
    return n;
  }

 private:
  const std::string& bytes_;
  size_t pos_ = 0;
};

struct FakeLayer {
  FakeLayer(std::vector<TarEntry> e, layer_test::Compression c = layer_test::Compression::None, std::string by = "")
      : entries(std::move(e)), compression(c), created_by(std::move(by)) {}
  std::vector<TarEntry> entries;
  layer_test::Compression compression;
  std::string created_by;
};

inline image::History step(std::string created_by, bool empty_layer = false) {
  image::History h;
  h.created_by = std::move(created_by);
  h.empty_layer = empty_layer;
  return h;
}

class FakeSource final : public ImageSource {
 public:
  FakeSource(std::string name, const std::vector<FakeLayer>& layers, image::ContainerConfig config = {}) {
    img_.input = img_.name = std::move(name);
    img_.kind = "daemon";
    img_.config.architecture = "amd64";
    img_.config.os = "linux";
    img_.config.config = std::move(config);
    img_.config.rootfs = image::RootFs{};
    for (const auto& l : layers) {
      std::string plain = layer_test::make_tar(l.entries);
      std::string blob = l.compression == layer_test::Compression::None ? plain : layer_test::make_tar(l.entries, l.compression);
      SourceLayer sl;
      sl.diff_id = content::sha256(plain);
      sl.blob = content::sha256(blob);
      sl.size = static_cast<int64_t>(blob.size());
      img_.layers.push_back(sl);
      img_.config.rootfs->diff_ids.push_back(sl.diff_id);
      img_.config.history.push_back(step(l.created_by));
      blobs_.push_back(std::move(blob));
    }
    img_.config_bytes = image::serialize(img_.config);
    img_.id = content::sha256(img_.config_bytes).str();
  }

  const SourceImage& image() const override { return img_; }
  bool remote() const override { return remote_; }
  Result<void> read_layers(const std::vector<size_t>& wanted, const LayerFn& fn) override {
    ++calls;
    std::vector<size_t> order = wanted;
    if (reverse) std::reverse(order.begin(), order.end());
    for (size_t i : order) {
      ++reads[i];
      StringSource bytes(blobs_.at(i));
      TRYV(fn(i, bytes));
    }
    return {};
  }

  SourceImage& mutable_image() { return img_; }
  std::vector<std::string>& blobs() { return blobs_; }

  bool remote_ = false;
  bool reverse = false;  // hand the layers over top first (as an archive may)
  int calls = 0;
  std::map<size_t, int> reads;

 private:
  SourceImage img_;
  std::vector<std::string> blobs_;
};

inline TarEntry owned(TarEntry e, int64_t uid, int64_t gid) {
  e.uid = uid;
  e.gid = gid;
  return e;
}

}  // namespace berth::imagediff::testing
