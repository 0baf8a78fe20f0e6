#include "metadata/migrations.h"

#include <gtest/gtest.h>

#include <array>

#include "temp_db.h"

using namespace berth;
using namespace berth::metadata;
using namespace berth::metadata::testing;

namespace {

using Migrations = TempDb;

Result<std::vector<std::string>> tables(Db& db) {
  auto st = TRY(db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"));
  std::vector<std::string> out;
  while (TRY(st.step())) out.push_back(st.text(0));
  return out;
}

TEST_F(Migrations, FromEmptyDatabase) {
  auto db = Db::open(path_);
  ASSERT_TRUE(db) << db.error().str();
  EXPECT_EQ(*schema_version(*db), 0);
  ASSERT_TRUE(migrate(*db));
  EXPECT_EQ(*schema_version(*db), latest_schema_version());
  EXPECT_EQ(*tables(*db), (std::vector<std::string>{"containers", "image_content", "image_layers", "images",
                                                    "ip_allocations", "networks", "schema_migrations", "tags",
                                                    "volumes"}));
  // Idempotent: a second open migrates nothing.
  ASSERT_TRUE(migrate(*db));
  auto n = db->prepare("SELECT count(*) FROM schema_migrations");
  ASSERT_TRUE(n && n->step());
  EXPECT_EQ(n->i64(0), latest_schema_version());
}

TEST_F(Migrations, WalForeignKeysBusyTimeout) {
  auto db = Db::open(path_);
  ASSERT_TRUE(db);
  auto mode = db->prepare("PRAGMA journal_mode");
  ASSERT_TRUE(mode && *mode->step());
  EXPECT_EQ(mode->text(0), "wal");
  auto fk = db->prepare("PRAGMA foreign_keys");
  ASSERT_TRUE(fk && *fk->step());
  EXPECT_EQ(fk->i64(0), 1);
  auto bt = db->prepare("PRAGMA busy_timeout");
  ASSERT_TRUE(bt && *bt->step());
  EXPECT_GT(bt->i64(0), 0);
}

TEST_F(Migrations, AppendedMigrationAppliesInOrder) {
  auto db = Db::open(path_);
  ASSERT_TRUE(db);
  ASSERT_TRUE(migrate(*db));
  std::vector<Migration> list(migrations().begin(), migrations().end());
  int next = latest_schema_version() + 1;
  list.push_back({next, "networks (test)", "CREATE TABLE networks_test (id TEXT PRIMARY KEY) STRICT;"});
  ASSERT_TRUE(migrate(*db, list));
  EXPECT_EQ(*schema_version(*db), next);
}

TEST_F(Migrations, FailedMigrationLeavesOldVersion) {
  auto db = Db::open(path_);
  ASSERT_TRUE(db);
  ASSERT_TRUE(migrate(*db));
  std::vector<Migration> list(migrations().begin(), migrations().end());
  int next = latest_schema_version() + 1;
  // Creates a table, then fails: the table must not stay behind.
  list.push_back({next, "broken", "CREATE TABLE half (x INTEGER); SELECT * FROM no_such_table;"});
  auto r = migrate(*db, list);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("broken"), std::string::npos) << r.error().message;
  EXPECT_EQ(*schema_version(*db), latest_schema_version());
  auto t = tables(*db);
  EXPECT_EQ(std::count(t->begin(), t->end(), "half"), 0);
}

TEST_F(Migrations, RefusesNewerSchema) {
  {
    auto db = Db::open(path_);
    ASSERT_TRUE(db);
    ASSERT_TRUE(migrate(*db));
    ASSERT_TRUE(db->exec("INSERT INTO schema_migrations (version, name) VALUES (99, 'from the future')"));
  }
  auto store = ImageStore::open(path_);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, Errc::Unsupported);
  EXPECT_NE(store.error().message.find("99"), std::string::npos) << store.error().message;
  EXPECT_NE(store.error().message.find("newer"), std::string::npos) << store.error().message;
  EXPECT_NE(store.error().message.find(path_), std::string::npos) << store.error().message;
}

}  // namespace
