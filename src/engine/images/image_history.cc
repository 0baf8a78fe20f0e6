// `GET /images/{name}/history`: newest first, local parents with their IDs and tags.
#include "engine/images/image_backend.h"

#include <algorithm>

#include "base/go_time.h"
#include "engine/images/image_json.h"
#include "engine/images/internal.h"
#include "image/oci.h"

namespace berth::engine {

using images::ojson;

Result<ojson> ImageBackend::history(std::string_view name) {
  std::lock_guard lk(mu_);
  auto loc = TRY(locate(name));
  auto info = TRY(svc_.inspect(loc.id));
  const auto& cfg = info.config;
  std::vector<image::Digest> diff_ids = cfg.rootfs ? cfg.rootfs->diff_ids : std::vector<image::Digest>{};
  auto chains = image::chain_ids(diff_ids);

  std::vector<ojson> items;  // oldest first while building
  size_t layer = 0;
  for (const auto& h : cfg.history) {
    int64_t size = 0;
    if (!h.empty_layer) {
      if (layer >= chains.size())
        return fail(Errc::InvalidArgument, "image " + info.id + ": too many non-empty layers in History section");
      auto u = TRY_CTX(svc_.snapshots().usage(chains[layer].str()), "measuring layer " + chains[layer].str());
      size = u.bytes;
      ++layer;
    }
    ojson j = ojson::object();
    j["Comment"] = h.comment;
    j["Created"] = go::unix_seconds_or_zero_time(h.created);
    j["CreatedBy"] = h.created_by;
    j["Id"] = "<missing>";
    j["Size"] = size;
    j["Tags"] = nullptr;
    items.push_back(std::move(j));
  }
  std::reverse(items.begin(), items.end());
  // The image and its local parents (commits, builds) get their IDs and tags.
  std::string id = info.id;
  for (auto& j : items) {
    j["Id"] = id;
    auto refs = TRY(svc_.metadata().refs_of(id));
    auto shown = images::familiar_refs(refs);
    if (!shown.tags.empty()) j["Tags"] = shown.tags;
    auto rec = svc_.metadata().get(id);
    if (!rec || rec->parent.empty()) break;
    id = rec->parent;
  }
  ojson arr = ojson::array();
  for (auto& j : items) arr.push_back(std::move(j));
  return arr;
}

}  // namespace berth::engine
