// The container service's view of images and container filesystems: find an
// image, give a container a writable snapshot of it, mount it, measure it,
// diff it, export it, commit it. The engine implements it over the image
// service (image_rootfs.cc); unit tests use a fake.
#pragma once


#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "model/container_info.h"
#include "model/container_spec.h"

namespace berth::engine {

struct ImageDefaults {
  std::string id;                   // "sha256:..."
  model::ContainerConfig defaults;  // the image's config (Env, Cmd, Entrypoint, ...)
};

// What a commit records (docker commit; the builder's steps later).
struct RootfsCommit {
  std::string parent_image_id;
  model::ContainerConfig config;  // the new image's config
  std::string reference;          // tag it (normalized), or "" for an untagged image
  std::string comment, author, created_by;
  std::vector<std::string> changes;  // --change instructions applied over config
  // Called once the writable layer has been read: a paused container may run again.
  std::function<void()> after_diff;
};

class RootfsProvider {
 public:
  virtual ~RootfsProvider() = default;
  // NotFound "No such image: NAME" (NAME in Docker's familiar form).
  virtual Result<ImageDefaults> resolve_image(const std::string& ref) = 0;
  // A writable snapshot `key` over the image.
  virtual Result<void> prepare(const std::string& image_id, const std::string& key) = 0;
  virtual Result<void> mount(const std::string& key, const std::string& target) = 0;
  // The same seen through the daemon's userns-remap: files show as the
  // remapped ids and what the remapped root writes lands unshifted on disk.
  virtual Result<void> mount_remapped(const std::string& key, const std::string& target) {
    (void)key;
    (void)target;
    return fail(Errc::Unsupported, "this daemon runs without userns-remap");
  }
  virtual void unmount(const std::string& target) = 0;
  virtual Result<void> remove(const std::string& key) = 0;  // NotFound when there is none
  virtual std::optional<int64_t> usage(const std::string& key) = 0;  // bytes of the writable layer
  virtual Result<std::vector<model::Change>> changes(const std::string& key) = 0;
  virtual Result<void> export_flat(const std::string& key, int out_fd) = 0;
  // The writable layer of `key` as a new image; returns its id.
  virtual Result<std::string> commit(const std::string& key, const RootfsCommit& commit) = 0;
};

}  // namespace berth::engine
