#include "metadata/migrations.h"

#include <array>

namespace berth::metadata {
namespace {

// Version 1: images, their tags and layers, and the content they pin.
// Tags restrict deletion of their image so no tag can dangle; layers and
// content rows go with their image. Digests are text "sha256:<hex>".
constexpr std::string_view kImagesV1 = R"sql(
CREATE TABLE images (
  id       TEXT PRIMARY KEY CHECK (id GLOB 'sha256:*' AND length(id) = 71),
  created  TEXT NOT NULL DEFAULT '',
  size     INTEGER NOT NULL DEFAULT 0 CHECK (size >= 0),
  parent   TEXT REFERENCES images(id) ON DELETE RESTRICT,
  added_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;
CREATE INDEX images_parent ON images(parent);

CREATE TABLE tags (
  ref      TEXT PRIMARY KEY CHECK (ref <> ''),
  image_id TEXT NOT NULL REFERENCES images(id) ON DELETE RESTRICT
) STRICT;
CREATE INDEX tags_image ON tags(image_id);

CREATE TABLE image_layers (
  image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
  idx      INTEGER NOT NULL CHECK (idx >= 0),
  diff_id  TEXT NOT NULL CHECK (diff_id GLOB 'sha256:*'),
  chain_id TEXT NOT NULL CHECK (chain_id GLOB 'sha256:*'),
  PRIMARY KEY (image_id, idx)
) STRICT, WITHOUT ROWID;
CREATE INDEX image_layers_chain ON image_layers(chain_id);

CREATE TABLE image_content (
  image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
  digest   TEXT NOT NULL CHECK (digest GLOB 'sha256:*'),
  PRIMARY KEY (image_id, digest)
) STRICT, WITHOUT ROWID;
CREATE INDEX image_content_digest ON image_content(digest);
)sql";

// Version 2: containers. The record is Docker's container model as one JSON
// document (what `inspect` shows, plus berth's own fields); the columns
// are what lookups and constraints need: unique names, and the image a
// container uses (image removal asks for it).
constexpr std::string_view kContainersV2 = R"sql(
CREATE TABLE containers (
  id       TEXT PRIMARY KEY CHECK (length(id) = 64),
  name     TEXT NOT NULL UNIQUE CHECK (name GLOB '/*'),
  image_id TEXT NOT NULL,
  created  TEXT NOT NULL,
  doc      TEXT NOT NULL CHECK (json_valid(doc))
) STRICT;
CREATE INDEX containers_image ON containers(image_id);
)sql";

// Version 3: networks and the addresses their IPAM handed out. The primary
// key makes an address impossible to hand out twice on one network; rows
// outlive a daemon restart.
constexpr std::string_view kNetworksV3 = R"sql(
CREATE TABLE networks (
  id   TEXT PRIMARY KEY CHECK (length(id) = 64),
  name TEXT NOT NULL UNIQUE CHECK (name <> ''),
  doc  TEXT NOT NULL CHECK (json_valid(doc))
) STRICT;
CREATE TABLE ip_allocations (
  network_id TEXT NOT NULL REFERENCES networks(id) ON DELETE CASCADE,
  address    TEXT NOT NULL CHECK (address <> ''),
  owner      TEXT NOT NULL,
  PRIMARY KEY (network_id, address)
) STRICT, WITHOUT ROWID;
CREATE INDEX ip_allocations_owner ON ip_allocations(owner);
)sql";

// Version 4: named volumes (the record is the volume's JSON document).
constexpr std::string_view kVolumesV4 = R"sql(
CREATE TABLE volumes (
  name TEXT PRIMARY KEY CHECK (name <> ''),
  doc  TEXT NOT NULL CHECK (json_valid(doc))
) STRICT;
)sql";

constexpr std::array<Migration, 4> kMigrations = {{
    {1, "images, tags, image layers, image content", kImagesV1},
    {2, "containers", kContainersV2},
    {3, "networks and IP allocations", kNetworksV3},
    {4, "volumes", kVolumesV4},
}};

constexpr std::string_view kBootstrap = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
  version    INTEGER PRIMARY KEY,
  name       TEXT NOT NULL,
  applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;
)sql";

Result<int> version_in_tx(Db& db) {
  auto st = TRY(db.prepare("SELECT coalesce(max(version), 0) FROM schema_migrations"));
  TRY(st.step());
  return static_cast<int>(st.i64(0));
}

}  // namespace

std::span<const Migration> migrations() { return kMigrations; }
int latest_schema_version() { return kMigrations.back().version; }

Result<int> schema_version(Db& db) {
  auto exists = TRY(db.prepare(
      "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"));
  if (!TRY(exists.step())) return 0;
  return version_in_tx(db);
}

Result<void> migrate(Db& db) { return migrate(db, migrations()); }

Result<void> migrate(Db& db, std::span<const Migration> list) {
  const std::string where = "migrating metadata database " + db.path();
  int known = list.empty() ? 0 : list.back().version;
  {
    // The version is read under the write lock, so two processes opening the
    // same new database do not both apply a migration.
    auto tx = TRY_CTX(Tx::begin(db), where);
    TRYV_CTX(db.exec(kBootstrap), where);
    int current = TRY_CTX(version_in_tx(db), where);
    if (current > known)
      return fail(Errc::Unsupported,
                  where + ": its schema version " + std::to_string(current) +
                      " is newer than this berth supports (" + std::to_string(known) +
                      "); it was written by a newer berth, which must be used (or the file restored)");
    TRYV_CTX(tx.commit(), where);
  }
  for (const Migration& m : list) {
    auto tx = TRY_CTX(Tx::begin(db), where);
    if (m.version <= TRY_CTX(version_in_tx(db), where)) continue;  // tx rolls back: nothing done
    std::string step = where + " to version " + std::to_string(m.version) + " (" + std::string(m.name) + ")";
    TRYV_CTX(db.exec(m.sql), step);
    auto rec = TRY_CTX(db.prepare("INSERT INTO schema_migrations (version, name) VALUES (?, ?)"), step);
    TRYV_CTX(rec.bind(1, static_cast<int64_t>(m.version)).bind(2, m.name).run(), step);
    TRYV_CTX(tx.commit(), step);
  }
  return {};
}

}  // namespace berth::metadata
