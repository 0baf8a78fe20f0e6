// `POST /images/prune`: dangling (or all unused) images, with the prune filters
// every prune verb shares (base/prune_filter.h).
#include "engine/images/image_backend.h"

#include <algorithm>

#include "base/go_time.h"
#include "base/log.h"
#include "base/prune_filter.h"
#include "engine/images/internal.h"

namespace berth::engine {

using images::ojson;
using images::parents_of;
using metadata::DeleteItem;

namespace {

ojson delete_items_json(const std::vector<DeleteItem>& items) {
  ojson out = ojson::array();
  for (const auto& it : items)
    out.push_back(ojson{{it.kind == DeleteItem::Kind::Untagged ? "Untagged" : "Deleted", it.value}});
  return out;
}

}  // namespace

Result<ojson> ImageBackend::prune(const std::string& filter_json) {
  auto filter = TRY(PruneFilter::parse(filter_json, kImagePruneKeys));
  bool dangling_only = TRY(filter.filters().get_bool_or_default("dangling", true));

  std::vector<metadata::ImageSummary> all;
  {
    std::lock_guard lk(mu_);
    all = TRY(svc_.metadata().list());
  }
  std::set<std::string> in_use;  // asked without the image lock, as in remove()
  for (const auto& s : all)
    if (!users_of(s.image.id, false).empty()) in_use.insert(s.image.id);

  std::vector<DeleteItem> deleted;
  std::vector<std::pair<std::vector<DeleteItem>, std::string>> per_image;  // for events
  std::map<std::string, int64_t> layer_bytes;  // chain ID -> size, of images we remove
  {
    std::lock_guard lk(mu_);
    all = TRY(svc_.metadata().list());
    auto with_children = parents_of(all);
    for (const auto& s : all) {
      const auto& id = s.image.id;
      if (dangling_only && with_children.contains(id)) continue;  // not a head
      if (s.refs.empty() && with_children.contains(id)) continue;  // intermediate
      if (!filter.created_by_until(go::parse_rfc3339(s.image.created).value_or(go::UnixTime{})))
        continue;
      if (filter.has_label_filters() && !filter.matches_labels(TRY(labels_of(id)))) continue;
      if (in_use.contains(id)) continue;
      bool tagged = std::any_of(s.refs.begin(), s.refs.end(),
                                [](const std::string& r) { return !metadata::is_digest_ref(r); });
      if (dangling_only && tagged) continue;

      for (const auto& l : s.image.layers)
        if (auto u = svc_.snapshots().usage(l.chain_id)) layer_bytes.emplace(l.chain_id, u->bytes);
      std::vector<std::string> targets = s.refs.empty() ? std::vector<std::string>{id} : s.refs;
      std::vector<DeleteItem> items;
      for (const auto& t : targets) {
        auto r = svc_.remove(t, false);
        if (!r) {  // dockerd skips what it cannot delete (conflicts, gone meanwhile)
          log::debug("image prune: skipping {}: {}", t, r.error().str());
          continue;
        }
        items.insert(items.end(), r->begin(), r->end());
      }
      deleted.insert(deleted.end(), items.begin(), items.end());
      per_image.emplace_back(std::move(items), id);
    }
  }
  int64_t reclaimed = 0;
  {
    std::lock_guard lk(mu_);
    for (const auto& [chain, bytes] : layer_bytes)
      if (!svc_.snapshots().stat(chain)) reclaimed += bytes;
  }
  for (const auto& [items, id] : per_image) publish_removal(items, id, {});
  ojson j = ojson::object();
  j["ImagesDeleted"] = deleted.empty() ? ojson(nullptr) : delete_items_json(deleted);
  j["SpaceReclaimed"] = reclaimed;
  return j;
}

}  // namespace berth::engine
