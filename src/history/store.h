// omx::history::Store: the collector's database (openMosixcollector's log, openMosixanalyzer's and
// openMosixhistory's source). One SQLite file holds, per sample time, every node's load and
// memory and the cluster's process list, plus checkpoint marks; rows older than the retention are
// dropped. The dashboard's /api/v1/history* answers come straight from load(), processes_at()
// and info(); their JSON shapes are the schemas LoadHistory, Processes and Collector of
// docs/api/openapi.yaml.
//
// Schema (version in PRAGMA user_version, kSchemaVersion; PRAGMA application_id = kApplicationId):
//   samples(t PRIMARY KEY, nodes, nodes_up, load, mem_used, mem_total)  -- one row per record();
//       the cluster figures are sums over the nodes that are up
//   node_samples(t, node, up, load, speed, ncpus, mem_used, mem_total, guests, local_procs),
//       PRIMARY KEY (t, node), WITHOUT ROWID  -- load() aggregates these with GROUP BY bucket
//   proc_snapshots(t PRIMARY KEY, count, body)  -- the Processes object (without "time") as
//       zstd-compressed JSON; body NULL = identical to the previous snapshot (idle clusters)
//   marks(id, t, label)  -- index on t
// Times are milliseconds since the Unix epoch.
//
// Errors: a file that is not a database, one of another application, or one from a newer omx is
// refused at open() with one clear line (ErrorCode::kInvalid); bad query arguments are
// kInvalid; "nothing recorded there" (processes_at before the first snapshot) is kRefused, so
// the HTTP server can answer 400 and 404 respectively. SQLite failures while running are kInvalid
// with SQLite's own message; nothing here throws or aborts on bad input or a bad file.
//
// Threading: every method is thread-safe (one connection behind an internal mutex). The file is in
// WAL mode, so other processes (`omx history mark` while omxd collects) may read and write it.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "base/result.h"

struct sqlite3;

namespace omx::history {

inline constexpr int kSchemaVersion = 1;
inline constexpr int32_t kApplicationId = 0x4f4d5848;  // "OMXH"
inline constexpr std::chrono::milliseconds kDefaultRetention{7LL * 24 * 3600 * 1000};
inline constexpr size_t kMaxMarkLabel = 200;  // bytes
inline constexpr int kMinPoints = 2, kMaxPoints = 2000;
// Where omxd's collector keeps its database unless told otherwise.
inline constexpr const char* kDefaultDbPath = "/var/lib/omx/history.db";

// load(): [from_ms, to_ms] (both inclusive) in at most `points` buckets of step_ms each; `node`
// restricts the per-node series (the cluster series is always computed over every node).
struct LoadQuery {
  int64_t from_ms = 0, to_ms = 0;
  std::optional<uint32_t> node;
  int points = 300;
};

class Store {
 public:
  // Opens (creating when missing) the database at `path` for reading and writing.
  static Result<std::unique_ptr<Store>> open(const std::string& path,
                                             std::chrono::milliseconds retention = kDefaultRetention);
  // Opens an existing database read-only (the CLI's load/procs/info); never creates a file.
  static Result<std::unique_ptr<Store>> open_readonly(const std::string& path);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // One sample: `cluster` is a Cluster object (its "nodes" array is what is stored), `processes`
  // a Processes object (null: no process snapshot this time). A second record at the same t
  // replaces the first. Prunes (at most once a minute of sample time).
  Status record(int64_t t_ms, const nlohmann::json& cluster, const nlohmann::json& processes);
  // A checkpoint mark (openMosixcollector -n); label at most kMaxMarkLabel bytes.
  Status add_mark(int64_t t_ms, std::string label);
  // {"first","last" (null when empty),"samples","retention_ms"}: the Collector schema's part.
  nlohmann::json info() const;
  // LoadHistory: {"from","to","step_ms","nodes":[Series...],"cluster":Series,"marks":[{t,label}]}.
  // Series: {"node" (not for the cluster),"t":[bucket starts],"load","mem_used","mem_total","up"};
  // values are bucket averages, null where the bucket holds no sample (per node: load and memory
  // average the samples where it was up, null when it was down throughout; "up" is the share of
  // its samples it was up). Cluster: load and memory summed over the nodes up in each sample, then
  // averaged; its "up" is the share of nodes up. Needs from < to and points in 2..2000.
  Result<nlohmann::json> load(const LoadQuery& q) const;
  // The Processes object of the latest snapshot at or before t_ms; its "time" is the snapshot's.
  // kRefused when there is none.
  Result<nlohmann::json> processes_at(int64_t t_ms) const;
  // Drops everything older than now_ms - retention.
  Status prune(int64_t now_ms);

  const std::string& path() const { return path_; }
  std::chrono::milliseconds retention() const { return retention_; }

 private:
  Store(sqlite3* db, std::string path, std::chrono::milliseconds retention, bool readonly);
  static Result<std::unique_ptr<Store>> open_impl(const std::string& path,
                                                  std::chrono::milliseconds retention, bool readonly);
  Status prepare_schema();
  Status prune_locked(int64_t now_ms);
  Status record_locked(int64_t t_ms, const nlohmann::json& cluster, const nlohmann::json& processes);

  mutable std::mutex mu_;
  sqlite3* db_;
  std::string path_;
  std::chrono::milliseconds retention_;
  bool readonly_;
  std::optional<int64_t> last_prune_ms_;
  std::string last_proc_body_;  // the last snapshot's uncompressed JSON, for the "same" shortcut
  bool have_last_proc_ = false;
};

}  // namespace omx::history
