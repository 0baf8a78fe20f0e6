#include "image/lookup.h"

#include <algorithm>

#include "image/reference.h"

namespace berth::image {
namespace {

bool is_hex(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

// "sha256:<64 hex>" or "<64 hex>": an ID, never a name (Docker refuses such names).
bool is_full_id(std::string_view s) {
  if (s.starts_with("sha256:")) s.remove_prefix(7);
  return is_full_hex_id(s);
}

// Finds the image and says whether `input` named it by reference.
Result<std::pair<std::string, std::string>> find(metadata::ImageStore& store, std::string_view input) {
  if (is_full_id(input)) {
    std::string id = input.starts_with("sha256:") ? std::string(input) : "sha256:" + std::string(input);
    TRY(store.get(id));
    return std::pair{id, std::string()};
  }
  auto ref = Reference::parse(input);
  if (ref) {
    auto id = store.image_for_ref(ref->str());
    if (id) return std::pair{*id, ref->str()};
    if (id.error().code != Errc::NotFound) return std::unexpected(id.error());
  }
  std::string_view hex = input.starts_with("sha256:") ? input.substr(7) : input;
  if (is_hex(hex)) {
    auto id = store.image_for_id_prefix(input);
    if (id) return std::pair{std::move(*id), std::string()};
    if (id.error().code != Errc::NotFound) return std::unexpected(id.error());
  }
  if (!ref) return std::unexpected(ref.error());  // neither a reference nor an ID: say why
  return fail(Errc::NotFound, "no such image: " + std::string(input));
}

}  // namespace

Result<std::string> resolve(metadata::ImageStore& store, std::string_view input) {
  return TRY(find(store, input)).first;
}

Result<std::vector<metadata::DeleteItem>> remove(metadata::ImageStore& store, std::string_view input,
                                                 bool force, bool prune) {
  auto [id, ref] = TRY(find(store, input));
  auto items = ref.empty() ? TRY(store.remove_id(id, force, prune))
                           : TRY(store.remove_ref(ref, force, prune));
  for (auto& it : items)
    if (it.kind == metadata::DeleteItem::Kind::Untagged) it.value = familiar(it.value);
  return items;
}

Result<metadata::ImageRecord> make_record(std::string_view config_bytes, const ImageConfig& config,
                                          std::vector<Digest> content, int64_t size, std::string parent) {
  metadata::ImageRecord r;
  r.id = image_id(config_bytes).str();
  r.created = config.created;
  r.size = size;
  r.parent = std::move(parent);
  if (config.rootfs) {
    auto chains = chain_ids(config.rootfs->diff_ids);
    for (size_t i = 0; i < chains.size(); ++i)
      r.layers.push_back({config.rootfs->diff_ids[i].str(), chains[i].str()});
  }
  for (const auto& d : content) r.content.push_back(d.str());
  return r;
}

std::string familiar(std::string_view normalized_ref) {
  auto r = Reference::parse_named(normalized_ref);
  return r ? r->familiar() : std::string(normalized_ref);
}

std::vector<Digest> manifest_candidates(std::vector<content::BlobInfo> pinned, const Digest& config, uint64_t limit) {
  std::erase_if(pinned, [&](const content::BlobInfo& b) { return b.digest == config || b.size > limit; });
  std::stable_sort(pinned.begin(), pinned.end(),
                   [](const content::BlobInfo& a, const content::BlobInfo& b) { return a.size < b.size; });
  std::vector<Digest> out;
  for (const auto& b : pinned) out.push_back(b.digest);
  return out;
}

}  // namespace berth::image
