// Small RAII helpers over the SQLite C API for omx::history: a prepared statement that finalizes
// itself, binds by position and turns SQLite's codes into Result errors naming the database.
//
// Not thread-safe by themselves: the Store's mutex serialises every use of its connection.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace omx::history {

// "history database PATH: WHAT: SQLite's message" as an Error (kInvalid; kSys with the OS errno
// when SQLite could not open or write the file).
Error db_error(sqlite3* db, const std::string& path, std::string_view what);

class Stmt {
 public:
  Stmt() = default;
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  Stmt(Stmt&& o) noexcept : s_(o.s_), db_(o.db_), path_(std::move(o.path_)) { o.s_ = nullptr; }

  static Result<Stmt> prepare(sqlite3* db, const std::string& path, std::string_view sql);

  Stmt& bind(int i, int64_t v) { sqlite3_bind_int64(s_, i, v); return *this; }
  Stmt& bind(int i, double v) { sqlite3_bind_double(s_, i, v); return *this; }
  Stmt& bind(int i, std::string_view v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& bind_blob(int i, const void* p, size_t n) {
    sqlite3_bind_blob(s_, i, p, static_cast<int>(n), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& bind_null(int i) { sqlite3_bind_null(s_, i); return *this; }

  // One step: true = a row is there, false = done; an error otherwise.
  Result<bool> step();
  // Runs to completion (statements without rows) and resets for the next use.
  Status run();
  void reset() { sqlite3_reset(s_); sqlite3_clear_bindings(s_); }

  int64_t i64(int col) const { return sqlite3_column_int64(s_, col); }
  double f64(int col) const { return sqlite3_column_double(s_, col); }
  bool is_null(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
  std::string text(int col) const;
  std::string_view blob(int col) const;

 private:
  sqlite3_stmt* s_ = nullptr;
  sqlite3* db_ = nullptr;
  std::string path_;
};

// Runs SQL without results (may be several statements).
Status exec(sqlite3* db, const std::string& path, const char* sql);
// Rolls back the open transaction, if any (best effort: the caller reports the first error).
inline void rollback(sqlite3* db) { sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr); }
// The single integer a query returns (PRAGMA user_version, COUNT(*), ...).
Result<int64_t> query_int(sqlite3* db, const std::string& path, const char* sql);

}  // namespace omx::history
