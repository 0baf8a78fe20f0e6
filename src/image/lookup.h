// What the user types (`busybox`, `abc123`, `sha256:...`) to an image in the
// metadata store, in Docker's order: a full ID, then a reference, then an ID
// prefix. And `docker rmi` on top of it, with output in the familiar form.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "content/store.h"
#include "image/oci.h"
#include "metadata/image_store.h"

namespace berth::image {

// Image ID; NotFound ("no such image: X"), Conflict for an ambiguous ID prefix.
Result<std::string> resolve(metadata::ImageStore& store, std::string_view input);

// DeleteItem values are shown Docker's way: familiar references, full IDs.
Result<std::vector<metadata::DeleteItem>> remove(metadata::ImageStore& store, std::string_view input,
                                                 bool force, bool prune = true);

// The store record of an image whose config blob is `config_bytes`.
// `content` lists the other blobs it pins (manifest, compressed layers).
Result<metadata::ImageRecord> make_record(std::string_view config_bytes, const ImageConfig& config,
                                          std::vector<Digest> content, int64_t size = 0,
                                          std::string parent = {});

// Where to look for an image's manifest among the blobs its record pins:
// smallest first, leaving out the config and anything over `limit` bytes.
// A manifest is a few hundred bytes and layers are large, so the manifest is
// found without reading a layer (the record lists blobs by digest, in no
// useful order).
std::vector<Digest> manifest_candidates(std::vector<content::BlobInfo> pinned, const Digest& config, uint64_t limit);

// familiar() of a normalized reference; the input itself if it does not parse.
std::string familiar(std::string_view normalized_ref);

}  // namespace berth::image
