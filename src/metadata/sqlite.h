// A thin RAII layer over SQLite: a connection, prepared statements and a
// transaction guard that rolls back unless committed. Every SQLite error
// becomes an Error naming the statement's purpose and SQLite's message.
// A Db is one connection: use it from one thread at a time.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"

namespace berth::metadata {

class Db;

class Stmt {
 public:
  Stmt(Stmt&&) noexcept = default;
  Stmt& operator=(Stmt&&) noexcept = default;

  Stmt& bind(int i, std::string_view v);
  Stmt& bind(int i, int64_t v);
  Stmt& bind_null(int i);
  // Binds v, or NULL when v is empty.
  Stmt& bind_opt(int i, std::string_view v) { return v.empty() ? bind_null(i) : bind(i, v); }

  // true: a row is ready; false: done.
  Result<bool> step();
  // Runs to completion (for statements without rows), then resets for reuse.
  Result<void> run();

  std::string text(int col) const;
  int64_t i64(int col) const;
  bool is_null(int col) const;

 private:
  friend class Db;
  struct Finalize {
    void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
  };
  Stmt(sqlite3* db, sqlite3_stmt* s, std::string_view sql) : db_(db), stmt_(s), sql_(sql) {}
  sqlite3* db_;
  std::unique_ptr<sqlite3_stmt, Finalize> stmt_;
  std::string sql_;
  int bind_rc_ = SQLITE_OK;  // first bind failure, reported by step()
};

class Db {
 public:
  struct Options {
    int busy_timeout_ms = 10000;
    bool durable = true;  // synchronous=FULL: a committed change survives power loss
  };

  // Opens (creating) the file with WAL journal, foreign keys and a busy timeout.
  static Result<Db> open(const std::string& path, Options options);
  static Result<Db> open(const std::string& path) { return open(path, Options{}); }

  Result<Stmt> prepare(std::string_view sql);
  // Runs one or more statements without results.
  Result<void> exec(std::string_view sql);
  int64_t changes() const { return sqlite3_changes64(db_.get()); }
  const std::string& path() const { return path_; }
  sqlite3* raw() const { return db_.get(); }

 private:
  struct Close {
    void operator()(sqlite3* d) const { sqlite3_close_v2(d); }
  };
  Db(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  std::unique_ptr<sqlite3, Close> db_;
  std::string path_;
};

// BEGIN IMMEDIATE (take the write lock now, so a busy wait happens up front and
// not half-way through), COMMIT on commit(), ROLLBACK otherwise.
class Tx {
 public:
  static Result<Tx> begin(Db& db);
  Tx(Tx&& o) noexcept : db_(std::exchange(o.db_, nullptr)) {}
  Tx& operator=(Tx&&) = delete;
  ~Tx();
  Result<void> commit();

 private:
  explicit Tx(Db* db) : db_(db) {}
  Db* db_;
};

// Maps a SQLite result code to an Error: busy/locked -> Unavailable,
// constraint -> Conflict, read-only/perm -> PermissionDenied, else Internal.
Error sqlite_error(sqlite3* db, int rc, std::string_view what);

}  // namespace berth::metadata
