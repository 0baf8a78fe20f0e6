// What the image routes may ask of the engine. Images are described by the
// Docker-shaped documents the image backend builds (in Go's field order).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth::backend {

// Reads the next bytes of a request body; 0 at its end.
using BodyReader = std::function<Result<size_t>(char* buf, size_t len)>;
// Called while a body is received: bytes so far, and the total when known (-1).
using TransferProgress = std::function<void(uint64_t current, int64_t total)>;

struct ImageListOptions {
  bool all = false;     // include intermediate images
  std::string filters;  // Docker's filters JSON
};

struct ImageImportOptions {
  std::string repo, tag, message;
  std::vector<std::string> changes;
};

struct ImageDeleteItem {
  bool untagged = false;  // else deleted
  std::string value;
};

struct SavedImages {
  UniqueFd fd;  // an unlinked temp file at its start
  uint64_t size = 0;
};

class ImageBackend {
 public:
  virtual ~ImageBackend() = default;
  virtual Result<nlohmann::ordered_json> image_list(const ImageListOptions& options) = 0;
  virtual Result<nlohmann::ordered_json> image_inspect(std::string_view name, int api_minor) = 0;
  virtual Result<nlohmann::ordered_json> image_history(std::string_view name) = 0;
  virtual Result<void> image_tag(std::string_view name, std::string_view repo, std::string_view tag) = 0;
  virtual Result<std::vector<ImageDeleteItem>> image_remove(std::string_view name, bool force, bool noprune) = 0;
  virtual Result<nlohmann::ordered_json> image_prune(const std::string& filters) = 0;
  // Checked before any body is read (bad reference, bad change).
  virtual Result<void> check_import(const ImageImportOptions& options) = 0;
  virtual Result<std::string> image_import(const BodyReader& body, const ImageImportOptions& options) = 0;
  // The lines dockerd prints ("Loaded image: busybox:latest\n").
  virtual Result<std::vector<std::string>> image_load(const BodyReader& body, int64_t content_length,
                                                      const TransferProgress& progress) = 0;
  virtual Result<SavedImages> image_save(const std::vector<std::string>& names) = 0;
  // /system/df's {"LayersSize", "Images"}.
  virtual Result<nlohmann::ordered_json> image_df() = 0;
};

}  // namespace berth::backend
