// backend::ImageBackend over the engine's image backend (what the /images
// routes see).
#pragma once

#include "backend/images.h"
#include "engine/images/image_backend.h"

namespace berth::engine {

class ImageApi : public backend::ImageBackend {
 public:
  explicit ImageApi(engine::ImageBackend& images) : images_(images) {}
  Result<nlohmann::ordered_json> image_list(const backend::ImageListOptions& options) override;
  Result<nlohmann::ordered_json> image_inspect(std::string_view name, int api_minor) override;
  Result<nlohmann::ordered_json> image_history(std::string_view name) override;
  Result<void> image_tag(std::string_view name, std::string_view repo, std::string_view tag) override;
  Result<std::vector<backend::ImageDeleteItem>> image_remove(std::string_view name, bool force, bool noprune) override;
  Result<nlohmann::ordered_json> image_prune(const std::string& filters) override;
  Result<void> check_import(const backend::ImageImportOptions& options) override;
  Result<std::string> image_import(const backend::BodyReader& body, const backend::ImageImportOptions& options) override;
  Result<std::vector<std::string>> image_load(const backend::BodyReader& body, int64_t content_length,
                                              const backend::TransferProgress& progress) override;
  Result<backend::SavedImages> image_save(const std::vector<std::string>& names) override;
  Result<nlohmann::ordered_json> image_df() override;

 private:
  engine::ImageBackend& images_;
};

}  // namespace berth::engine
