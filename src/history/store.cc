#include "history/store.h"

#include <sqlite3.h>
#include <zstd.h>

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "history/sqlite_util.h"

namespace omx::history {
namespace {

using nlohmann::json;

constexpr int64_t kPruneEveryMs = 60'000;
constexpr size_t kMaxSnapshotBytes = 256u << 20;  // refuse to inflate a damaged blob beyond this

constexpr const char* kCreateSql = R"sql(
CREATE TABLE IF NOT EXISTS samples(
  t INTEGER PRIMARY KEY, nodes INTEGER NOT NULL, nodes_up INTEGER NOT NULL,
  load INTEGER NOT NULL, mem_used INTEGER NOT NULL, mem_total INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS node_samples(
  t INTEGER NOT NULL, node INTEGER NOT NULL, up INTEGER NOT NULL,
  load INTEGER, speed INTEGER, ncpus INTEGER, mem_used INTEGER, mem_total INTEGER,
  guests INTEGER, local_procs INTEGER,
  PRIMARY KEY (t, node)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS proc_snapshots(
  t INTEGER PRIMARY KEY, count INTEGER NOT NULL, body BLOB);
CREATE TABLE IF NOT EXISTS marks(
  id INTEGER PRIMARY KEY, t INTEGER NOT NULL, label TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS marks_t ON marks(t);
)sql";

int64_t int_or(const json& o, const char* key, int64_t dflt) {
  auto it = o.find(key);
  return it != o.end() && it->is_number() ? it->get<int64_t>() : dflt;
}

std::optional<int64_t> opt_int(const json& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end() || !it->is_number()) return std::nullopt;
  return it->get<int64_t>();
}

Result<std::string> compress(const std::string& in) {
  std::string out(ZSTD_compressBound(in.size()), '\0');
  size_t n = ZSTD_compress(out.data(), out.size(), in.data(), in.size(), 3);
  if (ZSTD_isError(n)) return make_error(ErrorCode::kInvalid, fmt::format("zstd: {}", ZSTD_getErrorName(n)));
  out.resize(n);
  return out;
}

Result<std::string> decompress(std::string_view in, const std::string& path) {
  unsigned long long size = ZSTD_getFrameContentSize(in.data(), in.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size > kMaxSnapshotBytes)
    return make_error(ErrorCode::kInvalid, fmt::format("history database {}: damaged process snapshot", path));
  std::string out(size, '\0');
  size_t n = ZSTD_decompress(out.data(), out.size(), in.data(), in.size());
  if (ZSTD_isError(n) || n != size)
    return make_error(ErrorCode::kInvalid, fmt::format("history database {}: damaged process snapshot", path));
  return out;
}

// A Node object's stored figures.
struct NodeRow {
  int64_t node = 0;
  bool up = false;
  std::optional<int64_t> load, speed, ncpus, mem_used, mem_total, guests, local_procs;
};

NodeRow node_row(const json& n) {
  NodeRow r;
  r.node = int_or(n, "id", 0);
  r.up = n.value("up", false);
  r.load = opt_int(n, "load");
  r.speed = opt_int(n, "speed");
  r.ncpus = opt_int(n, "ncpus");
  r.mem_total = opt_int(n, "mem_total");
  r.mem_used = opt_int(n, "mem_used");
  if (!r.mem_used && r.mem_total && opt_int(n, "mem_free"))
    r.mem_used = *r.mem_total - *opt_int(n, "mem_free");
  r.guests = opt_int(n, "guests");
  r.local_procs = opt_int(n, "local_procs");
  return r;
}

void bind_opt(Stmt& s, int i, const std::optional<int64_t>& v) {
  if (v) s.bind(i, *v);
  else s.bind_null(i);
}

json value_or_null(const Stmt& s, int col) { return s.is_null(col) ? json(nullptr) : json(s.f64(col)); }

// One Series with `buckets` null entries and the bucket start times.
json empty_series(int64_t from, int64_t step, int64_t buckets) {
  json s;
  s["t"] = json::array();
  for (int64_t b = 0; b < buckets; ++b) s["t"].push_back(from + b * step);
  for (const char* k : {"load", "mem_used", "mem_total", "up"}) s[k] = json::array();
  for (const char* k : {"load", "mem_used", "mem_total", "up"})
    for (int64_t b = 0; b < buckets; ++b) s[k].push_back(nullptr);
  return s;
}

// Fills series[k][b] from columns 2.. of an aggregate row: load, mem_used, mem_total, up.
void put_bucket(json& series, const Stmt& s, int64_t b) {
  series["load"][b] = value_or_null(s, 2);
  series["mem_used"][b] = value_or_null(s, 3);
  series["mem_total"][b] = value_or_null(s, 4);
  series["up"][b] = value_or_null(s, 5);
}

}  // namespace

Store::Store(sqlite3* db, std::string path, std::chrono::milliseconds retention, bool readonly)
    : db_(db), path_(std::move(path)), retention_(retention), readonly_(readonly) {}

Store::~Store() { sqlite3_close_v2(db_); }

Result<std::unique_ptr<Store>> Store::open(const std::string& path, std::chrono::milliseconds retention) {
  if (retention.count() <= 0)
    return make_error(ErrorCode::kInvalid, "history: the retention must be positive");
  return open_impl(path, retention, false);
}

Result<std::unique_ptr<Store>> Store::open_readonly(const std::string& path) {
  return open_impl(path, kDefaultRetention, true);
}

Result<std::unique_ptr<Store>> Store::open_impl(const std::string& path,
                                                std::chrono::milliseconds retention, bool readonly) {
  sqlite3* db = nullptr;
  int flags = (readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
              SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    Error e = db_error(db, path, "cannot open");
    sqlite3_close_v2(db);
    return e;
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, 5000);
  std::unique_ptr<Store> s(new Store(db, path, retention, readonly));
  OMX_TRY(s->prepare_schema());
  return s;
}

// Checks the file is ours and not from a newer omx; creates the tables in an empty file.
Status Store::prepare_schema() {
  OMX_ASSIGN(int64_t version, query_int(db_, path_, "PRAGMA user_version"));
  OMX_ASSIGN(int64_t app, query_int(db_, path_, "PRAGMA application_id"));
  OMX_ASSIGN(int64_t tables, query_int(db_, path_, "SELECT COUNT(*) FROM sqlite_master"));
  auto refuse = [&](const std::string& why) {
    return make_error(ErrorCode::kInvalid, fmt::format("history database {}: {}", path_, why));
  };
  if (app != 0 && app != kApplicationId) return refuse("not an omx history database (another application's)");
  if (app == 0 && tables > 0) return refuse("not an omx history database (it has other tables)");
  if (version > kSchemaVersion)
    return refuse(fmt::format("schema version {} is newer than this omx understands ({}); use the "
                              "omx that wrote it, or another file", version, kSchemaVersion));
  if (readonly_) {
    if (version == 0) return refuse("empty: no collector has written to it yet");
    return ok_status();
  }
  OMX_TRY(exec(db_, path_, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL"));
  if (version == kSchemaVersion) return ok_status();
  OMX_TRY(exec(db_, path_, "BEGIN IMMEDIATE"));
  Status st = exec(db_, path_, kCreateSql);
  if (st.ok())
    st = exec(db_, path_, fmt::format("PRAGMA application_id={}; PRAGMA user_version={}; COMMIT",
                                      kApplicationId, kSchemaVersion).c_str());
  if (!st.ok()) rollback(db_);
  return st;
}

Status Store::record(int64_t t_ms, const json& cluster, const json& processes) {
  if (!cluster.is_object() || !cluster.contains("nodes") || !cluster["nodes"].is_array())
    return make_error(ErrorCode::kInvalid, "history: a Cluster object needs a \"nodes\" array");
  if (!processes.is_null() && (!processes.is_object() || !processes.contains("processes") ||
                               !processes["processes"].is_array()))
    return make_error(ErrorCode::kInvalid, "history: a Processes object needs a \"processes\" array");
  std::lock_guard lk(mu_);
  if (readonly_) return make_error(ErrorCode::kInvalid, fmt::format("history database {}: opened read-only", path_));
  OMX_TRY(exec(db_, path_, "BEGIN IMMEDIATE"));
  Status st = record_locked(t_ms, cluster, processes);
  if (st.ok()) st = exec(db_, path_, "COMMIT");
  if (!st.ok()) {
    rollback(db_);
    have_last_proc_ = false;  // the "same as before" shortcut may now point at nothing
    return st;
  }
  if (!last_prune_ms_ || t_ms - *last_prune_ms_ >= kPruneEveryMs || t_ms < *last_prune_ms_) {
    last_prune_ms_ = t_ms;
    OMX_TRY(prune_locked(t_ms));
  }
  return ok_status();
}

Status Store::record_locked(int64_t t, const json& cluster, const json& processes) {
  int64_t nodes = 0, up = 0, load = 0, mem_used = 0, mem_total = 0;
  OMX_ASSIGN(Stmt ins, Stmt::prepare(db_, path_,
      "INSERT OR REPLACE INTO node_samples(t,node,up,load,speed,ncpus,mem_used,mem_total,guests,"
      "local_procs) VALUES(?,?,?,?,?,?,?,?,?,?)"));
  OMX_ASSIGN(Stmt del, Stmt::prepare(db_, path_, "DELETE FROM node_samples WHERE t=?"));
  OMX_TRY(del.bind(1, t).run());
  for (const json& n : cluster["nodes"]) {
    if (!n.is_object()) continue;
    NodeRow r = node_row(n);
    if (r.node <= 0) continue;
    ++nodes;
    if (r.up) {
      ++up;
      load += r.load.value_or(0);
      mem_used += r.mem_used.value_or(0);
      mem_total += r.mem_total.value_or(0);
    }
    ins.bind(1, t).bind(2, r.node).bind(3, int64_t{r.up});
    bind_opt(ins, 4, r.load);
    bind_opt(ins, 5, r.speed);
    bind_opt(ins, 6, r.ncpus);
    bind_opt(ins, 7, r.mem_used);
    bind_opt(ins, 8, r.mem_total);
    bind_opt(ins, 9, r.guests);
    bind_opt(ins, 10, r.local_procs);
    OMX_TRY(ins.run());
  }
  OMX_ASSIGN(Stmt s, Stmt::prepare(db_, path_,
      "INSERT OR REPLACE INTO samples(t,nodes,nodes_up,load,mem_used,mem_total) VALUES(?,?,?,?,?,?)"));
  OMX_TRY(s.bind(1, t).bind(2, nodes).bind(3, up).bind(4, load).bind(5, mem_used).bind(6, mem_total).run());
  if (processes.is_null()) return ok_status();

  json body = processes;
  body.erase("time");
  if (!body.contains("errors")) body["errors"] = json::array();
  std::string text = body.dump();
  OMX_ASSIGN(int64_t last_t, query_int(db_, path_, "SELECT COALESCE(MAX(t), -1) FROM proc_snapshots"));
  bool same = have_last_proc_ && t > last_t && text == last_proc_body_;
  if (t <= last_t) {
    // Inserting before or at the newest snapshot: give the next one its own body first, so
    // a "same as before" row never starts to mean this one.
    OMX_ASSIGN(Stmt nx, Stmt::prepare(db_, path_, "SELECT t, body IS NULL FROM proc_snapshots WHERE t>? ORDER BY t LIMIT 1"));
    OMX_ASSIGN(bool row, nx.bind(1, t).step());
    if (row && nx.i64(1)) {
      int64_t next = nx.i64(0);
      OMX_TRY(exec(db_, path_, fmt::format(
          "UPDATE proc_snapshots SET body=(SELECT body FROM proc_snapshots WHERE t<{0} AND body IS "
          "NOT NULL ORDER BY t DESC LIMIT 1) WHERE t={0}", next).c_str()));
    }
  }
  OMX_ASSIGN(Stmt ps, Stmt::prepare(db_, path_, "INSERT OR REPLACE INTO proc_snapshots(t,count,body) VALUES(?,?,?)"));
  ps.bind(1, t).bind(2, static_cast<int64_t>(body["processes"].size()));
  if (same) {
    ps.bind_null(3);
  } else {
    OMX_ASSIGN(std::string z, compress(text));
    ps.bind_blob(3, z.data(), z.size());
  }
  OMX_TRY(ps.run());
  if (t >= last_t) {
    last_proc_body_ = std::move(text);
    have_last_proc_ = true;
  }
  return ok_status();
}

Status Store::add_mark(int64_t t_ms, std::string label) {
  if (label.size() > kMaxMarkLabel)
    return make_error(ErrorCode::kInvalid, fmt::format("history: a mark's label is at most {} bytes, "
                                                       "this one has {}", kMaxMarkLabel, label.size()));
  std::lock_guard lk(mu_);
  if (readonly_) return make_error(ErrorCode::kInvalid, fmt::format("history database {}: opened read-only", path_));
  OMX_ASSIGN(Stmt s, Stmt::prepare(db_, path_, "INSERT INTO marks(t,label) VALUES(?,?)"));
  return s.bind(1, t_ms).bind(2, label).run();
}

json Store::info() const {
  std::lock_guard lk(mu_);
  json j = {{"first", nullptr}, {"last", nullptr}, {"samples", 0}, {"retention_ms", retention_.count()}};
  auto s = Stmt::prepare(db_, path_, "SELECT MIN(t), MAX(t), COUNT(*) FROM samples");
  if (!s.ok()) return j;
  auto row = s->step();
  if (row.ok() && *row && !s->is_null(0)) {
    j["first"] = s->i64(0);
    j["last"] = s->i64(1);
    j["samples"] = s->i64(2);
  }
  return j;
}

Result<json> Store::load(const LoadQuery& q) const {
  if (q.from_ms >= q.to_ms)
    return make_error(ErrorCode::kInvalid, fmt::format("history: 'from' ({}) must be before 'to' ({})", q.from_ms, q.to_ms));
  if (q.points < kMinPoints || q.points > kMaxPoints)
    return make_error(ErrorCode::kInvalid, fmt::format("history: points must be {}..{}, not {}", kMinPoints, kMaxPoints, q.points));
  // [from, to] inclusive in buckets of `step`: at most `points` of them.
  int64_t span = q.to_ms - q.from_ms + 1;
  int64_t step = (span + q.points - 1) / q.points;
  int64_t buckets = (span + step - 1) / step;
  json out = {{"from", q.from_ms}, {"to", q.to_ms}, {"step_ms", step}, {"nodes", json::array()},
              {"marks", json::array()}};
  std::lock_guard lk(mu_);

  std::string node_sql =
      "SELECT node, (t-?1)/?3 AS b, AVG(CASE WHEN up THEN load END), AVG(CASE WHEN up THEN "
      "mem_used END), AVG(CASE WHEN up THEN mem_total END), AVG(up) FROM node_samples WHERE t "
      "BETWEEN ?1 AND ?2";
  node_sql += q.node ? " AND node=?4" : "";
  node_sql += " GROUP BY node, b ORDER BY node, b";
  OMX_ASSIGN(Stmt ns, Stmt::prepare(db_, path_, node_sql));
  ns.bind(1, q.from_ms).bind(2, q.to_ms).bind(3, step);
  if (q.node) ns.bind(4, static_cast<int64_t>(*q.node));
  std::map<int64_t, json> per_node;
  for (;;) {
    OMX_ASSIGN(bool row, ns.step());
    if (!row) break;
    int64_t node = ns.i64(0), b = ns.i64(1);
    auto [it, fresh] = per_node.try_emplace(node);
    if (fresh) {
      it->second = empty_series(q.from_ms, step, buckets);
      it->second["node"] = node;
    }
    if (b >= 0 && b < buckets) put_bucket(it->second, ns, b);
  }
  for (auto& [node, series] : per_node) out["nodes"].push_back(std::move(series));

  OMX_ASSIGN(Stmt cs, Stmt::prepare(db_, path_,
      "SELECT 0, (t-?1)/?3 AS b, AVG(load), AVG(mem_used), AVG(mem_total), "
      "AVG(CASE WHEN nodes > 0 THEN CAST(nodes_up AS REAL)/nodes END) FROM samples "
      "WHERE t BETWEEN ?1 AND ?2 GROUP BY b ORDER BY b"));
  cs.bind(1, q.from_ms).bind(2, q.to_ms).bind(3, step);
  json cluster = empty_series(q.from_ms, step, buckets);
  for (;;) {
    OMX_ASSIGN(bool row, cs.step());
    if (!row) break;
    int64_t b = cs.i64(1);
    if (b >= 0 && b < buckets) put_bucket(cluster, cs, b);
  }
  out["cluster"] = std::move(cluster);

  OMX_ASSIGN(Stmt ms, Stmt::prepare(db_, path_, "SELECT t, label FROM marks WHERE t BETWEEN ? AND ? ORDER BY t, id"));
  ms.bind(1, q.from_ms).bind(2, q.to_ms);
  for (;;) {
    OMX_ASSIGN(bool row, ms.step());
    if (!row) break;
    out["marks"].push_back({{"t", ms.i64(0)}, {"label", ms.text(1)}});
  }
  return out;
}

Result<json> Store::processes_at(int64_t t_ms) const {
  std::lock_guard lk(mu_);
  OMX_ASSIGN(Stmt s, Stmt::prepare(db_, path_,
      "SELECT t, body FROM proc_snapshots WHERE t<=? ORDER BY t DESC LIMIT 1"));
  OMX_ASSIGN(bool row, s.bind(1, t_ms).step());
  if (!row) {
    auto first = query_int(db_, path_, "SELECT COALESCE(MIN(t), -1) FROM proc_snapshots");
    std::string since = first.ok() && *first >= 0 ? fmt::format(" (the first is at {})", *first)
                                                  : std::string(" (none recorded yet)");
    return make_error(ErrorCode::kRefused, fmt::format("history: no process list recorded at or before {}{}", t_ms, since));
  }
  int64_t snap_t = s.i64(0);
  std::string z(s.blob(1));
  if (s.is_null(1)) {
    OMX_ASSIGN(Stmt b, Stmt::prepare(db_, path_,
        "SELECT body FROM proc_snapshots WHERE t<? AND body IS NOT NULL ORDER BY t DESC LIMIT 1"));
    OMX_ASSIGN(bool found, b.bind(1, snap_t).step());
    if (!found)
      return make_error(ErrorCode::kInvalid, fmt::format("history database {}: damaged process snapshot at {}", path_, snap_t));
    z = std::string(b.blob(0));
  }
  OMX_ASSIGN(std::string text, decompress(z, path_));
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return make_error(ErrorCode::kInvalid, fmt::format("history database {}: damaged process snapshot at {}", path_, snap_t));
  j["time"] = snap_t;
  return j;
}

Status Store::prune(int64_t now_ms) {
  std::lock_guard lk(mu_);
  if (readonly_) return make_error(ErrorCode::kInvalid, fmt::format("history database {}: opened read-only", path_));
  return prune_locked(now_ms);
}

Status Store::prune_locked(int64_t now_ms) {
  int64_t cutoff = now_ms - retention_.count();
  OMX_TRY(exec(db_, path_, "BEGIN IMMEDIATE"));
  // The oldest snapshot kept must carry its own body when it was "same as before".
  std::string sql = fmt::format(
      "UPDATE proc_snapshots SET body=(SELECT body FROM proc_snapshots WHERE t<{0} AND body IS NOT "
      "NULL ORDER BY t DESC LIMIT 1) WHERE t=(SELECT MIN(t) FROM proc_snapshots WHERE t>={0}) AND "
      "body IS NULL;"
      "DELETE FROM samples WHERE t<{0}; DELETE FROM node_samples WHERE t<{0};"
      "DELETE FROM proc_snapshots WHERE t<{0}; DELETE FROM marks WHERE t<{0}; COMMIT",
      cutoff);
  Status st = exec(db_, path_, sql.c_str());
  if (!st.ok()) rollback(db_);
  return st;
}

}  // namespace omx::history
