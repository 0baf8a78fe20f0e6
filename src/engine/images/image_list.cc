// `GET /images/json`: ImageSummary objects with Docker's filters, newest first.
#include "engine/images/image_backend.h"

#include <fnmatch.h>

#include <algorithm>

#include "base/filters.h"
#include "base/go_time.h"
#include "engine/images/image_json.h"
#include "engine/images/internal.h"
#include "image/reference.h"

namespace berth::engine {

using images::ojson;
using images::labels_from_config;
using images::parents_of;

namespace {

// reference.FamiliarMatch: the glob against "name:tag", then against "name".
bool familiar_match(const std::string& pattern, const std::string& normalized_ref) {
  auto ref = image::Reference::parse_named(normalized_ref);
  if (!ref) return false;
  if (::fnmatch(pattern.c_str(), ref->familiar().c_str(), FNM_PATHNAME) == 0) return true;
  return ::fnmatch(pattern.c_str(), ref->familiar_name().c_str(), FNM_PATHNAME) == 0;
}

}  // namespace

Result<ojson> ImageBackend::list(const ListOptions& options) {
  auto filters = TRY(Filters::parse(options.filters));
  TRYV(filters.validate({"dangling", "label", "before", "since", "reference"}));
  bool dangling_only = TRY(filters.get_bool_or_default("dangling", false));

  std::lock_guard lk(mu_);
  // before/since name images; the last value wins, as dockerd walks them.
  std::optional<go::UnixTime> before, since;
  for (const char* key : {"before", "since"}) {
    for (const auto& v : filters.get(key)) {
      auto loc = TRY(locate(v));
      auto rec = TRY(svc_.metadata().get(loc.id));
      auto t = go::parse_rfc3339(rec.created).value_or(go::UnixTime{});
      (std::string_view(key) == "before" ? before : since) = t;
    }
  }

  auto all = TRY(svc_.metadata().list());
  auto with_children = parents_of(all);
  std::vector<std::pair<go::UnixTime, ojson>> out;
  for (const auto& s : all) {
    const auto& id = s.image.id;
    auto created = go::parse_rfc3339(s.image.created).value_or(go::UnixTime{});
    if (before && !(created < *before)) continue;
    if (since && !(created > *since)) continue;
    auto digest = TRY(content::Digest::parse(id));
    auto config_bytes = TRY_CTX(svc_.content().read(digest), "reading config of image " + id);
    auto raw = nlohmann::json::parse(config_bytes, nullptr, false);
    bool has_config = raw.is_object() && raw.contains("config") && raw["config"].is_object();
    auto labels = labels_from_config(config_bytes);
    if (filters.contains("label") && (!has_config || !filters.match_kv_list("label", labels))) continue;

    std::vector<std::string> refs;
    for (const auto& r : s.refs) {
      if (filters.contains("reference")) {
        bool found = false;
        for (const auto& p : filters.get("reference")) found = found || familiar_match(p, r);
        if (!found) continue;
      }
      refs.push_back(r);
    }
    auto shown = images::familiar_refs(refs);
    if (shown.tags.empty() && shown.digests.empty()) {
      if (!options.all && with_children.contains(id)) continue;  // an intermediate image
      if (filters.contains("dangling") && !dangling_only) continue;
      if (filters.contains("reference")) continue;
      // API 1.41 shows untagged images so (later versions send empty lists).
      shown.tags = {"<none>:<none>"};
      shown.digests = {"<none>@<none>"};
    } else if (dangling_only && !shown.tags.empty()) {
      continue;
    }

    ojson j = ojson::object();
    j["Containers"] = -1;
    j["Created"] = go::unix_seconds_or_zero_time(s.image.created);
    j["Id"] = id;
    if (has_config && raw["config"].contains("Labels") && raw["config"]["Labels"].is_object()) {
      ojson l = ojson::object();
      for (const auto& [k, v] : labels) l[k] = v;
      j["Labels"] = std::move(l);
    } else {
      j["Labels"] = nullptr;
    }
    j["ParentId"] = s.image.parent;
    // Go's nil slices: null (an image with only digest references has no tags).
    j["RepoDigests"] = shown.digests.empty() ? ojson(nullptr) : ojson(shown.digests);
    j["RepoTags"] = shown.tags.empty() ? ojson(nullptr) : ojson(shown.tags);
    j["SharedSize"] = -1;
    j["Size"] = s.image.size;
    j["VirtualSize"] = s.image.size;
    out.emplace_back(created, std::move(j));
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  ojson arr = ojson::array();
  for (auto& [t, j] : out) arr.push_back(std::move(j));
  return arr;
}

}  // namespace berth::engine
