#include "metadata/image_store.h"

#include "metadata/image_queries.h"
#include "metadata/migrations.h"

namespace berth::metadata {
namespace detail {

Result<bool> image_exists(Db& db, std::string_view id) {
  auto st = TRY(db.prepare("SELECT 1 FROM images WHERE id = ?"));
  return st.bind(1, id).step();
}

Result<std::vector<std::string>> refs_of(Db& db, std::string_view id) {
  auto st = TRY(db.prepare("SELECT ref FROM tags WHERE image_id = ? ORDER BY ref"));
  st.bind(1, id);
  std::vector<std::string> out;
  while (TRY(st.step())) out.push_back(st.text(0));
  return out;
}

Result<int64_t> child_count(Db& db, std::string_view id) {
  auto st = TRY(db.prepare("SELECT count(*) FROM images WHERE parent = ?"));
  TRY(st.bind(1, id).step());
  return st.i64(0);
}

Result<std::string> parent_of(Db& db, std::string_view id) {
  auto st = TRY(db.prepare("SELECT parent FROM images WHERE id = ?"));
  if (!TRY(st.bind(1, id).step())) return std::string();
  return st.text(0);
}

Result<void> delete_ref(Db& db, std::string_view ref) {
  auto st = TRY(db.prepare("DELETE FROM tags WHERE ref = ?"));
  return st.bind(1, ref).run();
}

Result<void> delete_image(Db& db, std::string_view id) {
  auto st = TRY(db.prepare("DELETE FROM images WHERE id = ?"));
  return st.bind(1, id).run();
}

}  // namespace detail

namespace {

Result<void> put_tag(Db& db, std::string_view ref, std::string_view id) {
  auto st = TRY(db.prepare(
      "INSERT INTO tags (ref, image_id) VALUES (?, ?) "
      "ON CONFLICT (ref) DO UPDATE SET image_id = excluded.image_id"));
  return st.bind(1, ref).bind(2, id).run();
}

bool is_lower_hex(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace

std::string repository_of(std::string_view ref) {
  if (size_t at = ref.find('@'); at != std::string_view::npos) ref = ref.substr(0, at);
  size_t slash = ref.rfind('/');
  size_t colon = ref.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash))
    ref = ref.substr(0, colon);
  return std::string(ref);
}

bool is_digest_ref(std::string_view ref) { return ref.find('@') != std::string_view::npos; }

Result<ImageStore> ImageStore::open(const std::string& path) {
  auto db = TRY(Db::open(path));
  TRYV(migrate(db));
  return ImageStore(std::move(db));
}

Result<bool> ImageStore::add_image(const ImageRecord& image, const std::vector<std::string>& refs) {
  const std::string where = "adding image " + image.id;
  auto tx = TRY_CTX(Tx::begin(db_), where);
  bool added = !TRY_CTX(detail::image_exists(db_, image.id), where);
  if (added) {
    auto ins = TRY_CTX(db_.prepare("INSERT INTO images (id, created, size, parent) VALUES (?, ?, ?, ?)"), where);
    TRYV_CTX(ins.bind(1, image.id).bind(2, image.created).bind(3, image.size).bind_opt(4, image.parent).run(),
             where);
    auto layer = TRY_CTX(db_.prepare(
        "INSERT INTO image_layers (image_id, idx, diff_id, chain_id) VALUES (?, ?, ?, ?)"), where);
    for (size_t i = 0; i < image.layers.size(); ++i) {
      TRYV_CTX(layer.bind(1, image.id).bind(2, static_cast<int64_t>(i)).bind(3, image.layers[i].diff_id)
                   .bind(4, image.layers[i].chain_id).run(),
               where + ": layer " + std::to_string(i));
    }
    auto pin = TRY_CTX(db_.prepare(
        "INSERT OR IGNORE INTO image_content (image_id, digest) VALUES (?, ?)"), where);
    for (const auto& d : image.content)
      TRYV_CTX(pin.bind(1, image.id).bind(2, d).run(), where + ": content " + d);
  }
  for (const auto& ref : refs) TRYV_CTX(put_tag(db_, ref, image.id), where + ": tag " + ref);
  TRYV_CTX(tx.commit(), where);
  return added;
}

Result<void> ImageStore::tag(std::string_view ref, std::string_view image_id) {
  const std::string where = "tagging " + std::string(image_id) + " as " + std::string(ref);
  // Already so (a rebuild from the cache): no write transaction, no fsync.
  if (auto current = image_for_ref(ref); current && *current == image_id) return {};
  auto tx = TRY_CTX(Tx::begin(db_), where);
  if (!TRY_CTX(detail::image_exists(db_, image_id), where))
    return fail(Errc::NotFound, where + ": no such image");
  TRYV_CTX(put_tag(db_, ref, image_id), where);
  return tx.commit();
}

Result<void> ImageStore::untag(std::string_view ref) {
  const std::string where = "untagging " + std::string(ref);
  auto tx = TRY_CTX(Tx::begin(db_), where);
  TRYV_CTX(detail::delete_ref(db_, ref), where);
  if (db_.changes() == 0) return fail(Errc::NotFound, where + ": no such reference");
  return tx.commit();
}

Result<std::string> ImageStore::image_for_ref(std::string_view ref) {
  auto st = TRY(db_.prepare("SELECT image_id FROM tags WHERE ref = ?"));
  if (!TRY(st.bind(1, ref).step()))
    return fail(Errc::NotFound, "no such image: " + std::string(ref));
  return st.text(0);
}

Result<std::string> ImageStore::image_for_id_prefix(std::string_view prefix) {
  std::string_view hex = prefix;
  if (hex.starts_with("sha256:")) hex.remove_prefix(7);
  if (hex.empty() || hex.size() > 64 || !is_lower_hex(hex))
    return fail(Errc::InvalidArgument,
                "invalid image ID '" + std::string(prefix) + "': expected lowercase hex, at most 64 digits");
  // Hex has no GLOB metacharacters, and a prefix GLOB uses the primary key index.
  auto st = TRY(db_.prepare("SELECT id FROM images WHERE id GLOB ? ORDER BY id LIMIT 3"));
  st.bind(1, "sha256:" + std::string(hex) + "*");
  std::vector<std::string> found;
  while (TRY(st.step())) found.push_back(st.text(0));
  if (found.empty()) return fail(Errc::NotFound, "no such image: " + std::string(prefix));
  if (found.size() > 1) {
    std::string list = found[0] + ", " + found[1] + (found.size() > 2 ? ", ..." : "");
    return fail(Errc::Conflict, "image ID prefix '" + std::string(prefix) +
                                    "' is ambiguous: it matches " + list + "; give more digits");
  }
  return found[0];
}

Result<ImageRecord> ImageStore::get(std::string_view image_id) {
  auto st = TRY(db_.prepare("SELECT id, created, size, coalesce(parent, '') FROM images WHERE id = ?"));
  if (!TRY(st.bind(1, image_id).step()))
    return fail(Errc::NotFound, "no such image: " + std::string(image_id));
  ImageRecord r{st.text(0), st.text(1), st.i64(2), st.text(3), {}, {}};
  auto ls = TRY(db_.prepare("SELECT diff_id, chain_id FROM image_layers WHERE image_id = ? ORDER BY idx"));
  ls.bind(1, image_id);
  while (TRY(ls.step())) r.layers.push_back({ls.text(0), ls.text(1)});
  auto cs = TRY(db_.prepare("SELECT digest FROM image_content WHERE image_id = ? ORDER BY digest"));
  cs.bind(1, image_id);
  while (TRY(cs.step())) r.content.push_back(cs.text(0));
  return r;
}

Result<std::vector<std::string>> ImageStore::refs_of(std::string_view image_id) {
  return detail::refs_of(db_, image_id);
}

Result<std::vector<ImageSummary>> ImageStore::list() {
  // One read transaction, so images and tags are from the same state.
  TRYV(db_.exec("BEGIN"));
  auto end = [this] { (void)db_.exec("COMMIT"); };
  std::vector<ImageSummary> out;
  auto ids = db_.prepare("SELECT id FROM images ORDER BY added_at DESC, id");
  if (!ids) return end(), std::unexpected(ids.error());
  while (true) {
    auto more = ids->step();
    if (!more) return end(), std::unexpected(more.error());
    if (!*more) break;
    auto rec = get(ids->text(0));
    if (!rec) return end(), std::unexpected(rec.error());
    auto refs = detail::refs_of(db_, rec->id);
    if (!refs) return end(), std::unexpected(refs.error());
    out.push_back({std::move(*rec), std::move(*refs)});
  }
  end();
  return out;
}

Result<std::set<std::string>> ImageStore::referenced_content() {
  auto st = TRY(db_.prepare("SELECT id FROM images UNION SELECT digest FROM image_content"));
  std::set<std::string> out;
  while (TRY(st.step())) out.insert(st.text(0));
  return out;
}

}  // namespace berth::metadata
