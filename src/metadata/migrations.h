// Schema versions. Migrations are applied in order, each in its own
// transaction together with its row in schema_migrations, so the recorded
// version always matches the schema. To change the schema, append a
// migration; never edit one that has shipped.
#pragma once

#include <span>
#include <string_view>

#include "base/error.h"
#include "metadata/sqlite.h"

namespace berth::metadata {

struct Migration {
  int version;            // 1, 2, 3, ... without gaps
  std::string_view name;  // what it adds, for humans reading schema_migrations
  std::string_view sql;
};

std::span<const Migration> migrations();
int latest_schema_version();

// The version recorded in db (0 for an empty database).
Result<int> schema_version(Db& db);

// Brings db up to latest_schema_version(). A database whose version is newer
// than this code knows is refused (Unsupported) and left untouched.
Result<void> migrate(Db& db);
// Same with an explicit migration list (tests of individual steps).
Result<void> migrate(Db& db, std::span<const Migration> list);

}  // namespace berth::metadata
