// What the berth-only image routes (POST /berth/v1/images/diff) may ask of
// the engine: berthd reads both images itself (it owns the store and the
// registry client, and the CLI is local over the UNIX socket, so an archive
// is read where it lies) and answers the comparison as JSON.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"

namespace berth::backend {

struct ImageDiffRequest {
  // Each: "daemon://REF" or REF/ID (the store), "remote://REF" (a registry),
  // or an absolute path (a docker save / OCI layout archive file).
  std::string a, b;
  std::vector<std::string> types;  // "size", "file", ...; empty: the default (size)
  // X-Registry-Auth values for a remote input (base64url JSON), as pulls take them.
  std::string auth_a, auth_b;
  std::string platform;  // of an index (registry or archive); empty: the daemon's
};

class ImageDiffBackend {
 public:
  virtual ~ImageDiffBackend() = default;
  // The comparison (imagediff's JSON: docs/user-guide.md). NotFound "No such
  // image: X"; InvalidArgument for a bad type, input or archive.
  virtual Result<nlohmann::ordered_json> image_diff(const ImageDiffRequest& request) = 0;
};

}  // namespace berth::backend
