// The image service: ties the content store (ROOT/content), the snapshotter
// (ROOT/snapshots) and the metadata DB (ROOT/metadata.db) together. An image
// is a config blob (its digest is the image ID), a manifest blob and layer
// blobs in the content store; its layers are unpacked into committed
// snapshots named by chain ID; its record and tags are in the DB.
//
// Importers (rootfs tar, OCI layout, docker-archive) first get every blob into
// the content store (verified there), then call commit_image, which unpacks
// what is missing and records the image in one metadata transaction.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "content/store.h"
#include "image/oci.h"
#include "metadata/image_store.h"
#include "snapshot/snapshotter.h"

namespace berth::image {

struct ImportOptions {
  std::vector<std::string> changes;  // --change instructions
  std::string message;               // history comment; "Imported from -" when empty
  std::string created;               // RFC 3339; now when empty (fixed in tests)
  std::string architecture;          // host's when empty
  std::string os = "linux";
};

struct ImageInfo {
  std::string id;            // "sha256:..." = config digest
  std::string config_bytes;  // as stored
  ImageConfig config;
  Digest manifest_digest = content::sha256({});
  std::string manifest_bytes;
  Manifest manifest;
  std::vector<std::string> refs;  // normalized, sorted
};

class ImageService {
 public:
  static Result<std::unique_ptr<ImageService>> open(const std::string& root);

  // `docker import`: one layer from a tar (plain, gzip or zstd) read from fd.
  // The blob is stored as read; reference may be empty (untagged image).
  Result<ImageInfo> import_rootfs(int fd, std::string_view reference, const ImportOptions& options = {});

  // Records an image whose layer blobs are already in the content store.
  // Writes config and manifest blobs (verifying config digest == manifest's
  // config descriptor), unpacks each layer whose chain-ID snapshot is missing
  // (checking its diff ID against the config) and adds the image and `refs`
  // (any Docker reference form) in one transaction.
  Result<ImageInfo> commit_image(std::string_view config_bytes, std::string_view manifest_bytes,
                                 const std::vector<std::string>& refs);

  Result<ImageInfo> inspect(std::string_view ref);
  // A writable snapshot `key` on top of the image's top layer, as mounts.
  Result<std::vector<snapshot::Mount>> prepare_rootfs(std::string_view ref, const std::string& key);
  // `docker rmi`; deleted images' snapshots and blobs no other image uses go too.
  Result<std::vector<metadata::DeleteItem>> remove(std::string_view ref, bool force = false);

  content::Store& content() { return content_; }
  snapshot::Snapshotter& snapshots() { return *snapshots_; }
  metadata::ImageStore& metadata() { return metadata_; }
  const std::string& root() const { return root_; }

 private:
  ImageService(std::string root, content::Store c, std::unique_ptr<snapshot::Snapshotter> s,
               metadata::ImageStore m)
      : root_(std::move(root)), content_(std::move(c)), snapshots_(std::move(s)),
        metadata_(std::move(m)) {}
  // Unpacks the layer blob into snapshot `chain` (parent `parent`) unless it exists.
  Result<void> unpack(const Descriptor& layer, const Digest& diff_id, const std::string& chain,
                      const std::string& parent);
  Result<ImageInfo> load(const std::string& id);

  std::string root_;
  content::Store content_;
  std::unique_ptr<snapshot::Snapshotter> snapshots_;
  metadata::ImageStore metadata_;
};

// Compression of a blob from its first bytes (gzip, zstd magic), for media types.
Result<std::string> sniff_layer_media_type(content::Store& store, const Digest& blob);

}  // namespace berth::image
