#include "history/sqlite_util.h"

#include <fmt/format.h>

namespace omx::history {

Error db_error(sqlite3* db, const std::string& path, std::string_view what) {
  int code = db ? sqlite3_errcode(db) : SQLITE_CANTOPEN;
  int primary = code & 0xff;
  int os_err = db ? sqlite3_system_errno(db) : 0;
  std::string where = fmt::format("history database {}: {}", path, what);
  if ((primary == SQLITE_CANTOPEN || primary == SQLITE_IOERR || primary == SQLITE_READONLY ||
       primary == SQLITE_FULL) && os_err != 0)
    return sys_error(where, 0, os_err);
  std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
  if (primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT)
    msg += " (not an omx history database, or damaged: move it away and let the collector start "
           "a new one)";
  return make_error(ErrorCode::kInvalid, fmt::format("{}: {}", where, msg));
}

Result<Stmt> Stmt::prepare(sqlite3* db, const std::string& path, std::string_view sql) {
  Stmt s;
  s.db_ = db;
  s.path_ = path;
  if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &s.s_, nullptr) != SQLITE_OK)
    return db_error(db, path, "prepare");
  return s;
}

Result<bool> Stmt::step() {
  int rc = sqlite3_step(s_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Error e = db_error(db_, path_, "query");
  sqlite3_reset(s_);
  return e;
}

Status Stmt::run() {
  for (;;) {
    auto r = step();
    if (!r.ok()) return std::move(r.error());
    if (!*r) break;
  }
  reset();
  return ok_status();
}

std::string Stmt::text(int col) const {
  const unsigned char* p = sqlite3_column_text(s_, col);
  int n = sqlite3_column_bytes(s_, col);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(n)) : std::string();
}

std::string_view Stmt::blob(int col) const {
  const void* p = sqlite3_column_blob(s_, col);
  int n = sqlite3_column_bytes(s_, col);
  return p ? std::string_view(static_cast<const char*>(p), static_cast<size_t>(n)) : std::string_view();
}

Status exec(sqlite3* db, const std::string& path, const char* sql) {
  if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) return db_error(db, path, sql);
  return ok_status();
}

Result<int64_t> query_int(sqlite3* db, const std::string& path, const char* sql) {
  OMX_ASSIGN(Stmt s, Stmt::prepare(db, path, sql));
  OMX_ASSIGN(bool row, s.step());
  return row && !s.is_null(0) ? s.i64(0) : int64_t{0};
}

}  // namespace omx::history
