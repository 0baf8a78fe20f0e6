// `DELETE /images/{name}` (docker rmi), with dockerd's conflict rules.
#include "engine/images/image_backend.h"

#include <algorithm>
#include <set>

#include "engine/images/image_json.h"
#include "engine/images/internal.h"
#include "image/lookup.h"

namespace berth::engine {

using images::parents_of;
using images::short_id;
using metadata::DeleteItem;

namespace {

// dockerd's isSingleReference: at most one tag, every reference in one repository.
bool single_reference(const std::vector<std::string>& refs) {
  int tags = 0;
  for (const auto& r : refs) {
    if (!metadata::is_digest_ref(r)) ++tags;
    if (metadata::repository_of(r) != metadata::repository_of(refs.front())) return false;
  }
  return tags <= 1;
}

}  // namespace

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

}  // namespace berth::engine
