#include "metadata/sqlite.h"

namespace berth::metadata {

Error sqlite_error(sqlite3* db, int rc, std::string_view what) {
  Errc code = Errc::Internal;
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED: code = Errc::Unavailable; break;
    case SQLITE_CONSTRAINT: code = Errc::Conflict; break;
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH: code = Errc::PermissionDenied; break;
    case SQLITE_CANTOPEN: code = Errc::NotFound; break;
    default: break;
  }
  std::string msg = std::string(what) + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  return Error{code, 0, std::move(msg)};
}

Stmt& Stmt::bind(int i, std::string_view v) {
  int rc = sqlite3_bind_text(stmt_.get(), i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Stmt& Stmt::bind(int i, int64_t v) {
  int rc = sqlite3_bind_int64(stmt_.get(), i, v);
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Stmt& Stmt::bind_null(int i) {
  int rc = sqlite3_bind_null(stmt_.get(), i);
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Result<bool> Stmt::step() {
  if (bind_rc_ != SQLITE_OK) return std::unexpected(sqlite_error(db_, bind_rc_, "binding " + sql_));
  int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return std::unexpected(sqlite_error(db_, rc, "running " + sql_));
}

Result<void> Stmt::run() {
  Result<bool> more;
  do more = step();
  while (more && *more);
  // Reset so the statement can be bound and run again (loops over rows to insert).
  sqlite3_reset(stmt_.get());
  bind_rc_ = SQLITE_OK;
  if (!more) return std::unexpected(std::move(more).error());
  return {};
}

std::string Stmt::text(int col) const {
  auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_.get(), col));
  return p ? std::string(p, sqlite3_column_bytes(stmt_.get(), col)) : std::string();
}

int64_t Stmt::i64(int col) const { return sqlite3_column_int64(stmt_.get(), col); }
bool Stmt::is_null(int col) const { return sqlite3_column_type(stmt_.get(), col) == SQLITE_NULL; }

Result<Db> Db::open(const std::string& path, Options options) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  Db db(raw, path);  // owns raw even on failure
  if (rc != SQLITE_OK) return std::unexpected(sqlite_error(raw, rc, "opening metadata database " + path));
  sqlite3_extended_result_codes(raw, 1);
  rc = sqlite3_busy_timeout(raw, options.busy_timeout_ms);
  if (rc != SQLITE_OK) return std::unexpected(sqlite_error(raw, rc, "setting busy timeout on " + path));
  TRYV_CTX(db.exec("PRAGMA foreign_keys = ON"), "opening " + path);
  // WAL: readers do not block the writer, and a crash leaves the last commit or the one before.
  auto mode = TRY_CTX(db.prepare("PRAGMA journal_mode = WAL"), "opening " + path);
  if (!TRY_CTX(mode.step(), "opening " + path) || mode.text(0) != "wal")
    return fail(Errc::Unavailable, "opening metadata database " + path +
                                       ": cannot switch to WAL journal mode (got '" + mode.text(0) + "')");
  TRYV_CTX(db.exec(options.durable ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL"),
           "opening " + path);
  return db;
}

Result<Stmt> Db::prepare(std::string_view sql) {
  sqlite3_stmt* s = nullptr;
  int rc = sqlite3_prepare_v2(db_.get(), sql.data(), static_cast<int>(sql.size()), &s, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(s);
    return std::unexpected(sqlite_error(db_.get(), rc, "preparing " + std::string(sql)));
  }
  return Stmt(db_.get(), s, sql);
}

Result<void> Db::exec(std::string_view sql) {
  std::string s(sql);
  int rc = sqlite3_exec(db_.get(), s.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return std::unexpected(sqlite_error(db_.get(), rc, "running " + s));
  return {};
}

Result<Tx> Tx::begin(Db& db) {
  TRYV(db.exec("BEGIN IMMEDIATE"));
  return Tx(&db);
}

Tx::~Tx() {
  if (db_) (void)db_->exec("ROLLBACK");
}

Result<void> Tx::commit() {
  Db* db = std::exchange(db_, nullptr);
  auto r = db->exec("COMMIT");
  if (!r) (void)db->exec("ROLLBACK");  // COMMIT can fail (busy); leave no open transaction
  return r;
}

}  // namespace berth::metadata
