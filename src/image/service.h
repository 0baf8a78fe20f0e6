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

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "content/store.h"
#include "image/oci.h"
#include "layer/byte_source.h"
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

// A new image from a snapshot's changes: `docker commit`, and each step of
// the builder (a RUN's container, or a metadata-only step).
struct CommitRequest {
  // The active snapshot whose own changes become the new layer (a
  // container's writable snapshot). Not read with empty_layer.
  std::string snapshot_key;
  // The image the snapshot was prepared on (ID or reference); empty: scratch.
  // Its config, layers and history are the new image's start.
  std::string parent_image;
  // The new image's container config ("config" in the image JSON).
  ContainerConfig config;
  // The step's history entry (created_by, comment, author); its created and
  // empty_layer are set here.
  History history;
  // A metadata-only step: no layer, the parent's layers as they are, and the
  // history entry marked empty_layer.
  bool empty_layer = false;
  std::string author;   // the image config's author
  std::string created;  // RFC 3339 (Go's, fraction trimmed); now when empty
  // Top-level config keys to set ("container": the committed container's ID).
  nlohmann::ordered_json extra = nlohmann::ordered_json::object();
  // A reference to point at the new image (any Docker reference form); empty: untagged.
  std::string reference;
  // Record parent_image as the new image's parent in the store, as Docker
  // does for commits and builds (history then lists it; rmi by ID refuses a
  // parent that has children).
  bool record_parent = false;
  // Called once the snapshot's changes have been read, before anything is
  // stored: a paused container may run again.
  std::function<void()> after_diff;
  // The caller is done with the snapshot (unmounted, never used again): it
  // becomes the new layer's committed snapshot as it is, instead of a second
  // copy unpacked from the layer tar (a build step's). Taken only when it sits
  // on the parent image's top layer and no snapshot of the new chain exists;
  // once taken, snapshot_key is gone (NotFound) whether or not the commit
  // succeeds.
  bool take_snapshot = false;
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
                                 const std::vector<std::string>& refs, std::string parent = {});
  // Unpacks one layer into snapshot `chain` on `parent` (a committed chain
  // ID, "" for the first layer) from its blob's bytes as they arrive (a
  // download: commit_image then finds it there), unless the snapshot exists.
  // Nothing is kept unless the bytes hash to layer.digest and their tar to
  // diff_id. Safe beside other calls: it touches only the snapshotter.
  Result<void> unpack_stream(layer::ByteSource& source, const Descriptor& layer, const Digest& diff_id,
                             const Digest& chain, const std::string& parent);
  // Whether the layers up to chain ID `chain` are unpacked (a committed snapshot).
  bool has_layer(const Digest& chain);

  // The snapshot's changes as a new layer (an uncompressed tar blob: its
  // digest is its diff ID) on top of the parent image, a new config and
  // manifest, and the tag. Atomic: on failure no image, tag, blob or
  // snapshot of it is left (the content the parent already had stays), and
  // an existing tag still names what it named.
  Result<ImageInfo> commit(const CommitRequest& request);

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
  // Commits active snapshot `key` as `chain` when it sits on `parent_chain` (CommitRequest::take_snapshot).
  void take_snapshot(const std::string& key, const std::string& parent_chain, const std::string& chain);

  std::string root_;
  content::Store content_;
  std::unique_ptr<snapshot::Snapshotter> snapshots_;
  metadata::ImageStore metadata_;
};

// GOARCH of this machine ("amd64", "arm64"...), for new image configs.
std::string host_architecture();

// Compression of a blob from its first bytes (gzip, zstd magic), for media types.
Result<std::string> sniff_layer_media_type(content::Store& store, const Digest& blob);

}  // namespace berth::image
