#include "metadata/volume_store.h"

#include "metadata/migrations.h"

namespace berth::metadata {

Result<VolumeStore> VolumeStore::open(const std::string& path) {
  // Fully durable: volumes change rarely and hold user data.
  auto db = TRY_CTX(Db::open(path), "opening the volume database");
  TRYV_CTX(migrate(db), "migrating " + path);
  return VolumeStore(std::move(db));
}

Result<void> VolumeStore::insert(const VolumeRow& row) {
  auto st = TRY(db_.prepare("INSERT INTO volumes (name, doc) VALUES (?, ?)"));
  st.bind(1, row.name).bind(2, row.doc);
  auto r = st.run();
  if (!r) {
    Errc code = r.error().code == Errc::Conflict ? Errc::AlreadyExists : r.error().code;
    return fail(code, "recording volume " + row.name + ": " + r.error().message);
  }
  return {};
}

Result<std::optional<VolumeRow>> VolumeStore::get(std::string_view name) {
  auto st = TRY(db_.prepare("SELECT name, doc FROM volumes WHERE name = ?"));
  st.bind(1, name);
  if (!TRY(st.step())) return std::optional<VolumeRow>();
  return std::optional<VolumeRow>(VolumeRow{st.text(0), st.text(1)});
}

Result<void> VolumeStore::update(std::string_view name, std::string_view doc) {
  auto st = TRY(db_.prepare("UPDATE volumes SET doc = ? WHERE name = ?"));
  st.bind(1, doc).bind(2, name);
  TRYV(st.run());
  if (db_.changes() == 0) return fail(Errc::NotFound, "no volume record " + std::string(name));
  return {};
}

Result<void> VolumeStore::remove(std::string_view name) {
  auto st = TRY(db_.prepare("DELETE FROM volumes WHERE name = ?"));
  st.bind(1, name);
  return st.run();
}

Result<std::vector<VolumeRow>> VolumeStore::list() {
  auto st = TRY(db_.prepare("SELECT name, doc FROM volumes ORDER BY name"));
  std::vector<VolumeRow> rows;
  while (TRY(st.step())) rows.push_back({st.text(0), st.text(1)});
  return rows;
}

}  // namespace berth::metadata
