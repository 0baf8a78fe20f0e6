// Containers in the metadata database (schema version 2). The engine keeps
// its containers in memory and writes each change through here, one
// statement (one transaction) at a time, so a crash leaves every record
// either before or after a change.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "metadata/sqlite.h"

namespace berth::metadata {

struct ContainerRow {
  std::string id;        // 64 hex
  std::string name;      // with the leading "/"
  std::string image_id;  // "sha256:..."
  std::string created;   // RFC 3339
  std::string doc;       // the engine's JSON record
};

class ContainerStore {
 public:
  // Opens (creating) the database file and applies migrations.
  static Result<ContainerStore> open(const std::string& path);

  // Conflict when the id or the name is taken.
  Result<void> insert(const ContainerRow& row);
  // NotFound when the container is not there.
  Result<void> update(std::string_view id, std::string_view doc);
  // Conflict when the name is taken; NotFound.
  Result<void> rename(std::string_view id, std::string_view name, std::string_view doc);
  Result<void> remove(std::string_view id);
  Result<std::vector<ContainerRow>> list();

 private:
  explicit ContainerStore(Db db) : db_(std::move(db)) {}
  Db db_;
};

}  // namespace berth::metadata
