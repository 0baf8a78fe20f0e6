// `docker rmi` semantics over the image store (see image_store.h).
#include "metadata/image_queries.h"
#include "metadata/image_store.h"

namespace berth::metadata {
namespace {

std::string short_id(std::string_view id) {
  if (id.starts_with("sha256:")) id.remove_prefix(7);
  return std::string(id.substr(0, 12));
}

// At most one tag and every reference in one repository (Docker's isSingleReference).
bool single_reference(const std::vector<std::string>& refs) {
  int tags = 0;
  for (const auto& r : refs) {
    if (!is_digest_ref(r)) ++tags;
    if (repository_of(r) != repository_of(refs.front())) return false;
  }
  return tags <= 1;
}

// Deletes the image: untags what is left, removes the row, then (prune) walks
// up to parents that are left dangling. `quiet` (set for the parents and
// after a by-reference untag) stops silently where Docker would conflict.
Result<void> delete_helper(Db& db, std::string id, bool force, bool prune, bool quiet,
                           std::vector<DeleteItem>& out) {
  while (true) {
    auto refs = TRY(detail::refs_of(db, id));
    int64_t children = TRY(detail::child_count(db, id));
    if (children > 0) {
      if (quiet) return {};
      return fail(Errc::Conflict, "conflict: unable to delete " + short_id(id) +
                                      " (cannot be forced) - image has dependent child images");
    }
    if (!refs.empty() && !force) {
      if (quiet) return {};
      return fail(Errc::Conflict, "conflict: unable to delete " + short_id(id) +
                                      " (must be forced) - image is referenced in multiple repositories");
    }
    std::string parent = TRY(detail::parent_of(db, id));
    for (const auto& r : refs) {
      TRYV(detail::delete_ref(db, r));
      out.push_back({DeleteItem::Kind::Untagged, r});
    }
    TRYV(detail::delete_image(db, id));
    out.push_back({DeleteItem::Kind::Deleted, id});
    if (!prune || parent.empty()) return {};
    // Parents are pruned without force and quietly.
    id = parent;
    force = false;
    quiet = true;
  }
}

}  // namespace

Result<std::vector<DeleteItem>> ImageStore::remove_ref(std::string_view ref, bool force, bool prune) {
  const std::string where = "removing image " + std::string(ref);
  auto tx = TRY_CTX(Tx::begin(db_), where);
  std::string id = TRY_CTX(image_for_ref(ref), where);
  std::vector<DeleteItem> out;
  TRYV_CTX(detail::delete_ref(db_, ref), where);
  out.push_back({DeleteItem::Kind::Untagged, std::string(ref)});
  auto refs = TRY_CTX(detail::refs_of(db_, id), where);
  // The last tag of a repository takes that repository's digest references with it.
  if (!is_digest_ref(ref)) {
    std::string repo = repository_of(ref);
    bool tag_left = false;
    for (const auto& r : refs) tag_left = tag_left || (!is_digest_ref(r) && repository_of(r) == repo);
    if (!tag_left) {
      for (const auto& r : refs) {
        if (repository_of(r) != repo) continue;
        TRYV_CTX(detail::delete_ref(db_, r), where);
        out.push_back({DeleteItem::Kind::Untagged, r});
      }
      refs = TRY_CTX(detail::refs_of(db_, id), where);
    }
  }
  if (refs.empty()) TRYV_CTX(delete_helper(db_, id, force, prune, /*quiet=*/true, out), where);
  TRYV_CTX(tx.commit(), where);
  return out;
}

Result<std::vector<DeleteItem>> ImageStore::remove_id(std::string_view image_id, bool force, bool prune) {
  const std::string where = "removing image " + std::string(image_id);
  auto tx = TRY_CTX(Tx::begin(db_), where);
  if (!TRY_CTX(detail::image_exists(db_, image_id), where))
    return fail(Errc::NotFound, "no such image: " + std::string(image_id));
  std::string id(image_id);
  std::vector<DeleteItem> out;
  auto refs = TRY_CTX(detail::refs_of(db_, id), where);
  if (!refs.empty() && single_reference(refs)) {
    if (TRY_CTX(detail::child_count(db_, id), where) > 0)
      return fail(Errc::Conflict, "conflict: unable to delete " + short_id(id) +
                                      " (cannot be forced) - image has dependent child images");
    for (const auto& r : refs) {
      TRYV_CTX(detail::delete_ref(db_, r), where);
      out.push_back({DeleteItem::Kind::Untagged, r});
    }
  }
  TRYV_CTX(delete_helper(db_, id, force, prune, /*quiet=*/false, out), where);
  TRYV_CTX(tx.commit(), where);
  return out;
}

}  // namespace berth::metadata
