// Images, tags and image layers in the metadata database (one SQLite file).
// Every change is one transaction: a crash (kill -9) at any point leaves the
// state before or after it. References are stored fully normalized
// ("docker.io/library/busybox:latest", "...@sha256:..."); normalizing and
// showing them short is the image module's job. IDs are "sha256:<hex>".
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "metadata/sqlite.h"

namespace berth::metadata {

struct LayerRecord {
  std::string diff_id;
  std::string chain_id;
  bool operator==(const LayerRecord&) const = default;
};

struct ImageRecord {
  std::string id;       // config digest
  std::string created;  // from the config, RFC 3339
  int64_t size = 0;     // unpacked size in bytes
  std::string parent;   // empty when none (images from a registry have none)
  std::vector<LayerRecord> layers;   // bottom first
  std::vector<std::string> content;  // blobs the image pins: manifest, config, layer blobs
  bool operator==(const ImageRecord&) const = default;
};

struct ImageSummary {
  ImageRecord image;
  std::vector<std::string> refs;  // sorted
};

// One line of `docker rmi` output.
struct DeleteItem {
  enum class Kind { Untagged, Deleted };
  Kind kind;
  std::string value;  // normalized reference, or image ID
  bool operator==(const DeleteItem&) const = default;
};

class ImageStore {
 public:
  // Opens (creating) the database and applies migrations.
  static Result<ImageStore> open(const std::string& path);

  // Adds the image (if new) and points the tags at it, in one transaction.
  // A tag that pointed elsewhere moves (as docker pull/tag do). Returns false
  // if the image was already there (its record is kept).
  Result<bool> add_image(const ImageRecord& image, const std::vector<std::string>& refs);
  // NotFound when the image is unknown; moves an existing tag.
  Result<void> tag(std::string_view ref, std::string_view image_id);
  // NotFound when the reference is not there.
  Result<void> untag(std::string_view ref);

  // Image ID for a normalized reference; NotFound.
  Result<std::string> image_for_ref(std::string_view ref);
  // Image ID for a full ID or a prefix of one, with or without "sha256:":
  // NotFound, Conflict when ambiguous, InvalidArgument when not hex.
  Result<std::string> image_for_id_prefix(std::string_view prefix);

  Result<ImageRecord> get(std::string_view image_id);  // NotFound
  Result<std::vector<std::string>> refs_of(std::string_view image_id);
  Result<std::vector<ImageSummary>> list();  // newest added first

  // `docker rmi`, Docker's rules (daemon/images/image_delete.go):
  //  - by reference: untag it (and the digest references of that repository
  //    when it was its last tag); the image goes too when nothing else refers
  //    to it and it has no child images.
  //  - by ID: refused (Conflict, "must be forced") when references span more
  //    than one repository or more than one tag, unless forced; then every
  //    reference is untagged and the image deleted.
  //  - an image with child images is never deleted (Conflict, cannot be forced).
  //  - prune: parents left without tags or other children go too.
  Result<std::vector<DeleteItem>> remove_ref(std::string_view ref, bool force, bool prune = true);
  Result<std::vector<DeleteItem>> remove_id(std::string_view image_id, bool force, bool prune = true);

  // Every content digest an image pins (config digests and image_content),
  // the set content GC must keep.
  Result<std::set<std::string>> referenced_content();

  Db& db() { return db_; }

 private:
  explicit ImageStore(Db db) : db_(std::move(db)) {}
  Db db_;
};

// "docker.io/library/busybox:latest" -> "docker.io/library/busybox" (also strips "@digest").
std::string repository_of(std::string_view ref);
bool is_digest_ref(std::string_view ref);

}  // namespace berth::metadata
