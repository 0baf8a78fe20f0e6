// RootfsProvider over the image service: images by reference, writable
// snapshots per container, mounted with the snapshot mount helpers. The
// image service is not thread-safe: every use holds the engine's image mutex.
#pragma once

#include <mutex>

#include "engine/rootfs.h"
#include "engine/userns_remap.h"
#include "image/service.h"

namespace berth::engine {

class ImageRootfs : public RootfsProvider {
 public:
  ImageRootfs(image::ImageService& images, std::mutex& mu) : images_(images), mu_(mu) {}

  Result<ImageDefaults> resolve_image(const std::string& ref) override;
  Result<void> prepare(const std::string& image_id, const std::string& key) override;
  Result<void> mount(const std::string& key, const std::string& target) override;
  Result<void> mount_remapped(const std::string& key, const std::string& target) override;
  // Remapped mounts come from this view of the snapshot store (owned by the engine).
  void set_remap_view(const UsernsRemapView* view) { remap_view_ = view; }
  void unmount(const std::string& target) override;
  Result<void> remove(const std::string& key) override;
  std::optional<int64_t> usage(const std::string& key) override;
  Result<std::vector<model::Change>> changes(const std::string& key) override;
  Result<void> export_flat(const std::string& key, int out_fd) override;
  Result<std::string> commit(const std::string& key, const RootfsCommit& commit) override;

 private:
  image::ImageService& images_;
  std::mutex& mu_;
  const UsernsRemapView* remap_view_ = nullptr;
};

}  // namespace berth::engine
