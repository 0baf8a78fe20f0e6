// The image part of `GET /system/df`: layer sizes, shared sizes, containers per image.
#include "engine/images/image_backend.h"

#include <algorithm>

#include "base/go_time.h"
#include "engine/images/image_json.h"
#include "engine/images/internal.h"

namespace berth::engine {

using images::ojson;
using images::parents_of;

Result<ojson> ImageBackend::df_images() {
  std::vector<metadata::ImageSummary> all;
  {
    std::lock_guard lk(mu_);
    all = TRY(svc_.metadata().list());
  }
  std::map<std::string, int64_t> containers;  // asked without the image lock, as in remove()
  for (const auto& s : all) containers[s.image.id] = static_cast<int64_t>(users_of(s.image.id, false).size());

  std::lock_guard lk(mu_);
  auto with_children = parents_of(all);
  // How many images use each layer, and each layer's own size.
  std::map<std::string, int> layer_users;
  std::map<std::string, int64_t> layer_size;
  for (const auto& s : all)
    for (const auto& l : s.image.layers) {
      ++layer_users[l.chain_id];
      if (!layer_size.contains(l.chain_id)) {
        auto u = svc_.snapshots().usage(l.chain_id);
        layer_size[l.chain_id] = u ? u->bytes : 0;
      }
    }
  int64_t layers_total = 0;
  for (const auto& [c, b] : layer_size) layers_total += b;

  std::vector<std::pair<go::UnixTime, ojson>> out;
  for (const auto& s : all) {
    const auto& id = s.image.id;
    auto shown = images::familiar_refs(s.refs);
    if (shown.tags.empty() && shown.digests.empty()) {
      if (with_children.contains(id)) continue;
      shown.tags = {"<none>:<none>"};
      shown.digests = {"<none>@<none>"};
    }
    int64_t shared = 0;
    for (const auto& l : s.image.layers)
      if (layer_users[l.chain_id] > 1) shared += layer_size[l.chain_id];
    auto created = go::parse_rfc3339(s.image.created).value_or(go::UnixTime{});
    auto labels = labels_of(id);
    ojson j = ojson::object();
    j["Containers"] = containers[id];
    j["Created"] = go::unix_seconds_or_zero_time(s.image.created);
    j["Id"] = id;
    if (labels && !labels->empty()) {
      ojson l = ojson::object();
      for (const auto& [k, v] : *labels) l[k] = v;
      j["Labels"] = std::move(l);
    } else {
      j["Labels"] = nullptr;
    }
    j["ParentId"] = s.image.parent;
    j["RepoDigests"] = shown.digests;
    j["RepoTags"] = shown.tags;
    j["SharedSize"] = shared;
    j["Size"] = s.image.size;
    j["VirtualSize"] = s.image.size;
    out.emplace_back(created, std::move(j));
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  ojson arr = ojson::array();
  for (auto& [t, j] : out) arr.push_back(std::move(j));
  ojson result = ojson::object();
  result["LayersSize"] = layers_total;
  result["Images"] = std::move(arr);
  return result;
}

}  // namespace berth::engine
