// Queries and changes: list, inspect, history, tag, rmi, prune, df.
// Transfers (import, load, save) are in transfer.cc.
#include "engine/images/image_backend.h"

#include <fnmatch.h>

#include <algorithm>
#include <map>
#include <set>

#include "base/go_time.h"
#include "base/log.h"
#include "base/prune_filter.h"
#include "engine/images/image_json.h"
#include "image/lookup.h"
#include "image/reference.h"
#include "snapshot/overlay.h"

namespace berth::engine {
namespace {

using ojson = nlohmann::ordered_json;
using images::short_id;
using metadata::DeleteItem;

bool is_hex(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
}

// dockerd's isSingleReference: at most one tag, every reference in one repository.
bool single_reference(const std::vector<std::string>& refs) {
  int tags = 0;
  for (const auto& r : refs) {
    if (!metadata::is_digest_ref(r)) ++tags;
    if (metadata::repository_of(r) != metadata::repository_of(refs.front())) return false;
  }
  return tags <= 1;
}

// reference.FamiliarMatch: the glob against "name:tag", then against "name".
bool familiar_match(const std::string& pattern, const std::string& normalized_ref) {
  auto ref = image::Reference::parse_named(normalized_ref);
  if (!ref) return false;
  if (::fnmatch(pattern.c_str(), ref->familiar().c_str(), FNM_PATHNAME) == 0) return true;
  return ::fnmatch(pattern.c_str(), ref->familiar_name().c_str(), FNM_PATHNAME) == 0;
}

std::map<std::string, std::string> labels_from_config(std::string_view config_bytes) {
  std::map<std::string, std::string> out;
  auto j = nlohmann::json::parse(config_bytes, nullptr, false);
  if (!j.is_object()) return out;
  auto c = j.find("config");
  if (c == j.end() || !c->is_object()) return out;
  auto l = c->find("Labels");
  if (l == c->end() || !l->is_object()) return out;
  for (const auto& [k, v] : l->items())
    if (v.is_string()) out[k] = v.get<std::string>();
  return out;
}

// Image IDs that are some image's parent.
std::set<std::string> parents_of(const std::vector<metadata::ImageSummary>& all) {
  std::set<std::string> out;
  for (const auto& s : all)
    if (!s.image.parent.empty()) out.insert(s.image.parent);
  return out;
}

ojson delete_items_json(const std::vector<DeleteItem>& items) {
  ojson out = ojson::array();
  for (const auto& it : items)
    out.push_back(ojson{{it.kind == DeleteItem::Kind::Untagged ? "Untagged" : "Deleted", it.value}});
  return out;
}

}  // namespace

Result<ImageBackend::Located> ImageBackend::locate(std::string_view name) {
  auto& store = svc_.metadata();
  std::string_view hex = name.starts_with("sha256:") ? name.substr(7) : name;
  if (image::is_full_hex_id(hex)) {
    std::string id = "sha256:" + std::string(hex);
    if (store.get(id)) return Located{id, {}};
    return fail(Errc::NotFound, "No such image: " + id);
  }
  auto ref = image::Reference::parse(name);
  if (ref) {
    auto id = store.image_for_ref(ref->str());
    if (id) return Located{*id, ref->str()};
    if (id.error().code != Errc::NotFound) return std::unexpected(id.error());
  }
  if (is_hex(hex)) {
    auto id = store.image_for_id_prefix(name);
    if (id) return Located{*id, {}};
    // An ambiguous prefix is "no such image" to dockerd too.
    if (id.error().code != Errc::NotFound && id.error().code != Errc::Conflict) return std::unexpected(id.error());
  }
  if (!ref) return std::unexpected(ref.error());
  return fail(Errc::NotFound, "No such image: " + ref->familiar());
}

Result<image::ImageInfo> ImageBackend::find(std::string_view name) {
  std::lock_guard lk(mu_);
  auto loc = TRY(locate(name));
  return svc_.inspect(loc.id);
}

Result<std::map<std::string, std::string>> ImageBackend::labels_of(const std::string& image_id) {
  auto digest = TRY(content::Digest::parse(image_id));
  auto bytes = TRY_CTX(svc_.content().read(digest), "reading config of image " + image_id);
  return labels_from_config(bytes);
}

Result<ojson> ImageBackend::graph_driver(const metadata::ImageRecord& record) {
  auto* overlay = dynamic_cast<snapshot::OverlaySnapshotter*>(&svc_.snapshots());
  if (!overlay) return ojson{{"Data", nullptr}, {"Name", "vfs"}};
  if (record.layers.empty()) return ojson{{"Data", nullptr}, {"Name", "overlay2"}};
  auto top = TRY(overlay->stat(record.layers.back().chain_id));
  std::string lower;
  for (std::string parent = top.parent; !parent.empty();) {
    auto info = TRY(overlay->stat(parent));
    if (!lower.empty()) lower += ":";
    lower += overlay->dir_of(info.id) + "/fs";
    parent = info.parent;
  }
  ojson data = ojson::object();
  if (!lower.empty()) data["LowerDir"] = lower;
  data["UpperDir"] = overlay->dir_of(top.id) + "/fs";
  data["WorkDir"] = overlay->dir_of(top.id) + "/work";
  return ojson{{"Data", std::move(data)}, {"Name", "overlay2"}};
}

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

Result<ojson> ImageBackend::inspect_info(const image::ImageInfo& info, int api_minor) {
  std::lock_guard lk(mu_);
  auto record = TRY(svc_.metadata().get(info.id));
  images::InspectExtras extras;
  extras.size = record.size;
  extras.parent = record.parent;
  extras.graph_driver = TRY(graph_driver(record));
  return images::inspect_json(info, extras, api_minor);
}

Result<ojson> ImageBackend::inspect(std::string_view name, int api_minor) {
  auto info = TRY(find(name));
  return inspect_info(info, api_minor);
}

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

Result<void> ImageBackend::tag(std::string_view name, std::string_view repo, std::string_view tag) {
  if (image::is_full_hex_id(repo))
    return fail(Errc::InvalidArgument,
                "invalid repository name (" + std::string(repo) + "), cannot specify 64-byte hexadecimal strings");
  auto ref = TRY(image::Reference::parse_named(repo));
  if (!tag.empty()) {
    if (!image::valid_tag(tag)) return fail(Errc::InvalidArgument, "invalid tag format");
    ref = ref.without_digest().with_tag(tag);
  } else if (ref.has_digest()) {
    return fail(Errc::InvalidArgument, "refusing to create a tag with a digest reference");
  } else if (!ref.has_tag()) {
    ref = ref.with_tag(image::kDefaultTag);
  }
  std::string id;
  std::map<std::string, std::string> labels;
  {
    std::lock_guard lk(mu_);
    id = TRY(locate(name)).id;
    TRYV_CTX(svc_.metadata().tag(ref.str(), id), "tagging image " + id + " as " + ref.familiar());
    labels = labels_of(id).value_or(std::map<std::string, std::string>{});
  }
  publish("tag", id, ref.familiar(), labels);
  return {};
}

Result<std::vector<DeleteItem>> ImageBackend::untag_only(const std::string& id,
                                                         const std::vector<std::string>& refs) {
  auto& store = svc_.metadata();
  std::vector<DeleteItem> items;
  std::set<std::string> untagged_repos;
  for (const auto& r : refs) {
    TRYV(store.untag(r));
    items.push_back({DeleteItem::Kind::Untagged, image::familiar(r)});
    if (!metadata::is_digest_ref(r)) untagged_repos.insert(metadata::repository_of(r));
  }
  // A repository's last tag takes its digest references with it, as in dockerd.
  auto left = TRY(store.refs_of(id));
  for (const auto& repo : untagged_repos) {
    bool tag_left = std::any_of(left.begin(), left.end(), [&](const std::string& r) {
      return !metadata::is_digest_ref(r) && metadata::repository_of(r) == repo;
    });
    if (tag_left) continue;
    for (const auto& r : left) {
      if (!metadata::is_digest_ref(r) || metadata::repository_of(r) != repo) continue;
      TRYV(store.untag(r));
      items.push_back({DeleteItem::Kind::Untagged, image::familiar(r)});
    }
  }
  return items;
}

Result<std::vector<DeleteItem>> ImageBackend::remove(std::string_view name, bool force, bool noprune) {
  // noprune: the image service always prunes untagged parents (see report).
  (void)noprune;
  // The engine's container lookup runs without the image lock (the engine
  // takes its own locks, and may hold them while it waits for this one).
  std::string first_id;
  {
    std::lock_guard lk(mu_);
    first_id = TRY(locate(name)).id;
  }
  auto users = users_of(first_id, false);
  auto running = users_of(first_id, true);

  std::unique_lock lk(mu_);
  auto loc = TRY(locate(name));
  const std::string& id = loc.id;
  if (id != first_id)
    return fail(Errc::Conflict, "image " + std::string(name) + " changed while it was being removed; try again");
  auto& store = svc_.metadata();
  auto refs = TRY(store.refs_of(id));
  auto labels = labels_of(id).value_or(std::map<std::string, std::string>{});
  std::vector<DeleteItem> items;

  if (!loc.ref.empty()) {
    // By reference: untag; the image goes only when nothing else needs it.
    if (!users.empty()) {
      if (refs.size() == 1 && !force)
        return fail(Errc::Conflict, "conflict: unable to remove repository reference \"" + std::string(name) +
                                        "\" (must force) - container " + short_id(users.front()) +
                                        " is using its referenced image " + short_id(id));
      items = TRY(untag_only(id, {loc.ref}));
    } else {
      items = TRY(svc_.remove(loc.ref, force));
    }
  } else {
    // By ID: dockerd's conflict order (children, running, references, stopped).
    auto all = TRY(store.list());
    if (parents_of(all).contains(id))
      return fail(Errc::Conflict,
                  "conflict: unable to delete " + short_id(id) + " (cannot be forced) - image has dependent child images");
    if (!running.empty())
      return fail(Errc::Conflict, "conflict: unable to delete " + short_id(id) +
                                      " (cannot be forced) - image is being used by running container " +
                                      short_id(running.front()));
    if (!force && !refs.empty() && !single_reference(refs))
      return fail(Errc::Conflict, "conflict: unable to delete " + short_id(id) +
                                      " (must be forced) - image is referenced in multiple repositories");
    if (!users.empty()) {
      if (!force)
        return fail(Errc::Conflict, "conflict: unable to delete " + short_id(id) +
                                        " (must be forced) - image is being used by stopped container " +
                                        short_id(users.front()));
      // Forced with a stopped container: the container keeps its image, untagged.
      items = TRY(untag_only(id, refs));
    } else {
      items = TRY(svc_.remove(id, force));
    }
  }
  lk.unlock();
  publish_removal(items, id, labels);
  return items;
}

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

std::vector<std::string> ImageBackend::users_of(const std::string& image_id, bool running_only) {
  return containers_using_ ? containers_using_(image_id, running_only) : std::vector<std::string>{};
}

void ImageBackend::publish(const std::string& action, const std::string& id, const std::string& name,
                           const std::map<std::string, std::string>& labels) {
  Event e;
  e.type = "image";
  e.action = action;
  e.id = id;
  e.attributes = labels;
  if (!name.empty()) e.attributes["name"] = name;
  events_.publish(std::move(e));
}

void ImageBackend::publish_removal(const std::vector<DeleteItem>& items, const std::string& id,
                                   const std::map<std::string, std::string>& labels) {
  for (const auto& it : items) {
    if (it.kind == DeleteItem::Kind::Untagged)
      publish("untag", id, id, labels);
    else
      publish("delete", it.value, it.value);  // the image is gone: no labels, as dockerd
  }
}

}  // namespace berth::engine
