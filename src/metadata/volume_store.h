// Named volumes in the metadata database (schema version 4): one row per
// volume, its Docker-shaped JSON document (Name, Driver, Mountpoint,
// CreatedAt, Labels, Scope, Options). Each call is one statement, so a crash
// leaves every record before or after a change. One connection: callers
// serialize (VolumeService holds its lock around every call).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "metadata/sqlite.h"

namespace berth::metadata {

struct VolumeRow {
  std::string name;
  std::string doc;  // JSON
  bool operator==(const VolumeRow&) const = default;
};

class VolumeStore {
 public:
  // Opens (creating) the database file and applies migrations.
  static Result<VolumeStore> open(const std::string& path);

  // AlreadyExists when the name is taken.
  Result<void> insert(const VolumeRow& row);
  // nullopt when there is no such volume.
  Result<std::optional<VolumeRow>> get(std::string_view name);
  // NotFound when the volume is not there.
  Result<void> update(std::string_view name, std::string_view doc);
  // Removing a missing record is not an error.
  Result<void> remove(std::string_view name);
  // All volumes, ordered by name.
  Result<std::vector<VolumeRow>> list();

 private:
  explicit VolumeStore(Db db) : db_(std::move(db)) {}
  Db db_;
};

}  // namespace berth::metadata
