#include "metadata/network_store.h"

#include "metadata/migrations.h"

namespace berth::metadata {
namespace {

constexpr std::string_view kColumns = "SELECT id, name, doc FROM networks ";

NetworkRow row_of(const Stmt& st) { return {st.text(0), st.text(1), st.text(2)}; }

Result<std::vector<IpAllocation>> read_allocations(Stmt& st) {
  std::vector<IpAllocation> out;
  while (TRY(st.step())) out.push_back({st.text(0), st.text(1), st.text(2)});
  return out;
}

std::unexpected<Error> not_found(std::string_view ref) {
  return fail(Errc::NotFound, "network " + std::string(ref) + " not found");
}

}  // namespace

Result<NetworkStore> NetworkStore::open(const std::string& path) {
  // As the container store: WAL with synchronous=NORMAL survives kill -9 of
  // berthd; allocations are written on the container start path.
  Db::Options options;
  options.durable = false;
  auto db = TRY_CTX(Db::open(path, options), "opening the network database");
  TRYV_CTX(migrate(db), "migrating " + path);
  return NetworkStore(std::move(db));
}

Result<bool> NetworkStore::exists_locked(std::string_view id) {
  auto st = TRY(db_.prepare("SELECT 1 FROM networks WHERE id = ?"));
  st.bind(1, id);
  return st.step();
}

Result<void> NetworkStore::insert(const NetworkRow& row) {
  std::lock_guard lock(*mu_);
  const std::string what = "recording network " + row.name;
  auto tx = TRY_CTX(Tx::begin(db_), what);
  {
    auto st = TRY_CTX(db_.prepare("SELECT 1 FROM networks WHERE name = ?"), what);
    st.bind(1, row.name);
    if (TRY_CTX(st.step(), what)) return fail(Errc::Conflict, "network with name " + row.name + " already exists");
  }
  if (TRY_CTX(exists_locked(row.id), what))
    return fail(Errc::Conflict, "network with id " + row.id + " already exists");
  auto st = TRY_CTX(db_.prepare("INSERT INTO networks (id, name, doc) VALUES (?, ?, ?)"), what);
  st.bind(1, row.id).bind(2, row.name).bind(3, row.doc);
  TRYV_CTX(st.run(), what);
  TRYV_CTX(tx.commit(), what);
  return {};
}

Result<NetworkRow> NetworkStore::get(std::string_view id) {
  std::lock_guard lock(*mu_);
  auto st = TRY(db_.prepare(std::string(kColumns) + "WHERE id = ?"));
  st.bind(1, id);
  if (!TRY(st.step())) return not_found(id);
  return row_of(st);
}

Result<NetworkRow> NetworkStore::get_by_name(std::string_view name) {
  std::lock_guard lock(*mu_);
  auto st = TRY(db_.prepare(std::string(kColumns) + "WHERE name = ?"));
  st.bind(1, name);
  if (!TRY(st.step())) return not_found(name);
  return row_of(st);
}

Result<std::vector<NetworkRow>> NetworkStore::by_id_prefix(std::string_view prefix) {
  std::lock_guard lock(*mu_);
  auto st = TRY(db_.prepare(std::string(kColumns) + "WHERE substr(id, 1, ?) = ? ORDER BY name"));
  st.bind(1, static_cast<int64_t>(prefix.size())).bind(2, prefix);
  std::vector<NetworkRow> rows;
  while (TRY(st.step())) rows.push_back(row_of(st));
  return rows;
}

Result<NetworkRow> NetworkStore::find(std::string_view ref) {
  if (ref.empty()) return not_found(ref);
  if (auto r = get(ref); r || r.error().code != Errc::NotFound) return r;
  if (auto r = get_by_name(ref); r || r.error().code != Errc::NotFound) return r;
  auto rows = TRY(by_id_prefix(ref));
  if (rows.empty()) return not_found(ref);
  if (rows.size() > 1)
    return fail(Errc::InvalidArgument, "network " + std::string(ref) + " is ambiguous (" +
                                           std::to_string(rows.size()) + " matches found based on ID prefix)");
  return std::move(rows.front());
}

Result<std::vector<NetworkRow>> NetworkStore::list() {
  std::lock_guard lock(*mu_);
  auto st = TRY(db_.prepare(std::string(kColumns) + "ORDER BY name"));
  std::vector<NetworkRow> rows;
  while (TRY(st.step())) rows.push_back(row_of(st));
  return rows;
}

Result<void> NetworkStore::update(std::string_view id, std::string_view doc) {
  std::lock_guard lock(*mu_);
  auto st = TRY(db_.prepare("UPDATE networks SET doc = ? WHERE id = ?"));
  st.bind(1, doc).bind(2, id);
  TRYV_CTX(st.run(), "updating network " + std::string(id));
  if (db_.changes() == 0) return not_found(id);
  return {};
}

Result<void> NetworkStore::remove(std::string_view id) {
  std::lock_guard lock(*mu_);
  // One statement: the cascade to ip_allocations is part of it.
  auto st = TRY(db_.prepare("DELETE FROM networks WHERE id = ?"));
  st.bind(1, id);
  TRYV_CTX(st.run(), "removing network " + std::string(id));
  if (db_.changes() == 0) return not_found(id);
  return {};
}

Result<void> NetworkStore::insert_allocation_locked(std::string_view network_id, std::string_view address,
                                                    std::string_view owner) {
  auto st = TRY(db_.prepare("INSERT INTO ip_allocations (network_id, address, owner) VALUES (?, ?, ?)"));
  st.bind(1, network_id).bind(2, address).bind(3, owner);
  auto r = st.run();
  if (!r && r.error().code == Errc::Conflict) return fail(Errc::Conflict, "Address already in use");
  if (!r)
    return fail(r.error().code, "recording address " + std::string(address) + " on network " +
                                    std::string(network_id) + ": " + r.error().message);
  return {};
}

Result<void> NetworkStore::allocate(std::string_view network_id, std::string_view address, std::string_view owner) {
  std::lock_guard lock(*mu_);
  const std::string what = "allocating " + std::string(address) + " on network " + std::string(network_id);
  auto tx = TRY_CTX(Tx::begin(db_), what);
  if (!TRY_CTX(exists_locked(network_id), what)) return not_found(network_id);
  TRYV(insert_allocation_locked(network_id, address, owner));
  TRYV_CTX(tx.commit(), what);
  return {};
}

Result<std::string> NetworkStore::allocate_with(
    std::string_view network_id, std::string_view owner,
    const std::function<Result<std::string>(const std::vector<IpAllocation>&)>& choose) {
  std::lock_guard lock(*mu_);
  const std::string what = "allocating an address on network " + std::string(network_id);
  auto tx = TRY_CTX(Tx::begin(db_), what);
  if (!TRY_CTX(exists_locked(network_id), what)) return not_found(network_id);
  auto st = TRY_CTX(
      db_.prepare("SELECT network_id, address, owner FROM ip_allocations WHERE network_id = ? ORDER BY address"),
      what);
  st.bind(1, network_id);
  auto current = TRY_CTX(read_allocations(st), what);
  std::string address = TRY(choose(current));
  TRYV(insert_allocation_locked(network_id, address, owner));
  TRYV_CTX(tx.commit(), what);
  return address;
}

Result<bool> NetworkStore::release(std::string_view network_id, std::string_view address) {
  std::lock_guard lock(*mu_);
  auto st = TRY(db_.prepare("DELETE FROM ip_allocations WHERE network_id = ? AND address = ?"));
  st.bind(1, network_id).bind(2, address);
  TRYV_CTX(st.run(), "releasing " + std::string(address) + " on network " + std::string(network_id));
  return db_.changes() > 0;
}

Result<int64_t> NetworkStore::release_owner(std::string_view owner) {
  std::lock_guard lock(*mu_);
  auto st = TRY(db_.prepare("DELETE FROM ip_allocations WHERE owner = ?"));
  st.bind(1, owner);
  TRYV_CTX(st.run(), "releasing the addresses of " + std::string(owner));
  return db_.changes();
}

Result<int64_t> NetworkStore::release_owner(std::string_view network_id, std::string_view owner) {
  std::lock_guard lock(*mu_);
  auto st = TRY(db_.prepare("DELETE FROM ip_allocations WHERE network_id = ? AND owner = ?"));
  st.bind(1, network_id).bind(2, owner);
  TRYV_CTX(st.run(), "releasing the addresses of " + std::string(owner) + " on network " + std::string(network_id));
  return db_.changes();
}

Result<std::vector<IpAllocation>> NetworkStore::allocations(std::string_view network_id) {
  std::lock_guard lock(*mu_);
  auto st = TRY(db_.prepare(
      "SELECT network_id, address, owner FROM ip_allocations WHERE network_id = ? ORDER BY address"));
  st.bind(1, network_id);
  return read_allocations(st);
}

Result<std::vector<IpAllocation>> NetworkStore::allocations_of(std::string_view owner) {
  std::lock_guard lock(*mu_);
  auto st = TRY(db_.prepare(
      "SELECT network_id, address, owner FROM ip_allocations WHERE owner = ? ORDER BY network_id, address"));
  st.bind(1, owner);
  return read_allocations(st);
}

}  // namespace berth::metadata
