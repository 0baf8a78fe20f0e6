#include "metadata/container_store.h"

#include "metadata/migrations.h"

namespace berth::metadata {

Result<ContainerStore> ContainerStore::open(const std::string& path) {
  // synchronous=NORMAL: in WAL mode a commit survives a crash of berthd
  // (kill -9), only a power loss can take the last few; container state is
  // written at every start and exit, on the path users time.
  Db::Options options;
  options.durable = false;
  auto db = TRY_CTX(Db::open(path, options), "opening the container database");
  TRYV_CTX(migrate(db), "migrating " + path);
  return ContainerStore(std::move(db));
}

Result<void> ContainerStore::insert(const ContainerRow& row) {
  auto st = TRY(db_.prepare("INSERT INTO containers (id, name, image_id, created, doc) VALUES (?, ?, ?, ?, ?)"));
  st.bind(1, row.id).bind(2, row.name).bind(3, row.image_id).bind(4, row.created).bind(5, row.doc);
  auto r = st.run();
  if (!r) return fail(r.error().code, "recording container " + row.id + " (" + row.name + "): " + r.error().message);
  return {};
}

Result<void> ContainerStore::update(std::string_view id, std::string_view doc) {
  auto st = TRY(db_.prepare("UPDATE containers SET doc = ? WHERE id = ?"));
  st.bind(1, doc).bind(2, id);
  TRYV(st.run());
  if (db_.changes() == 0) return fail(Errc::NotFound, "no container record " + std::string(id));
  return {};
}

Result<void> ContainerStore::rename(std::string_view id, std::string_view name, std::string_view doc) {
  auto st = TRY(db_.prepare("UPDATE containers SET name = ?, doc = ? WHERE id = ?"));
  st.bind(1, name).bind(2, doc).bind(3, id);
  TRYV(st.run());
  if (db_.changes() == 0) return fail(Errc::NotFound, "no container record " + std::string(id));
  return {};
}

Result<void> ContainerStore::remove(std::string_view id) {
  auto st = TRY(db_.prepare("DELETE FROM containers WHERE id = ?"));
  st.bind(1, id);
  return st.run();
}

Result<std::vector<ContainerRow>> ContainerStore::list() {
  auto st = TRY(db_.prepare("SELECT id, name, image_id, created, doc FROM containers ORDER BY created"));
  std::vector<ContainerRow> rows;
  while (TRY(st.step())) rows.push_back({st.text(0), st.text(1), st.text(2), st.text(3), st.text(4)});
  return rows;
}

}  // namespace berth::metadata
