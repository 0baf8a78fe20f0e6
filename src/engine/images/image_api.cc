#include "engine/images/image_api.h"

namespace berth::engine {
namespace {

engine::ImageBackend::ImportOptions import_options(const backend::ImageImportOptions& o) {
  return {o.repo, o.tag, o.message, o.changes};
}

}  // namespace

Result<nlohmann::ordered_json> ImageApi::image_list(const backend::ImageListOptions& options) {
  return images_.list({.all = options.all, .filters = options.filters});
}

Result<nlohmann::ordered_json> ImageApi::image_inspect(std::string_view name, int api_minor) {
  return images_.inspect(name, api_minor);
}

Result<nlohmann::ordered_json> ImageApi::image_history(std::string_view name) { return images_.history(name); }

Result<void> ImageApi::image_tag(std::string_view name, std::string_view repo, std::string_view tag) {
  return images_.tag(name, repo, tag);
}

Result<std::vector<backend::ImageDeleteItem>> ImageApi::image_remove(std::string_view name, bool force, bool noprune) {
  std::vector<backend::ImageDeleteItem> out;
  for (const auto& it : TRY(images_.remove(name, force, noprune)))
    out.push_back({it.kind == metadata::DeleteItem::Kind::Untagged, it.value});
  return out;
}

Result<nlohmann::ordered_json> ImageApi::image_prune(const std::string& filters) { return images_.prune(filters); }

Result<void> ImageApi::check_import(const backend::ImageImportOptions& options) {
  return images_.check_import(import_options(options));
}

Result<std::string> ImageApi::image_import(const backend::BodyReader& body, const backend::ImageImportOptions& options) {
  return images_.import_image(body, import_options(options));
}

Result<std::vector<std::string>> ImageApi::image_load(const backend::BodyReader& body, int64_t content_length,
                                                      const backend::TransferProgress& progress) {
  return images_.load(body, content_length, progress);
}

Result<backend::SavedImages> ImageApi::image_save(const std::vector<std::string>& names) {
  auto saved = TRY(images_.save(names));
  return backend::SavedImages{std::move(saved.fd), saved.size};
}

Result<nlohmann::ordered_json> ImageApi::image_df() { return images_.df_images(); }

}  // namespace berth::engine
