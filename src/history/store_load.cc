// Store::load (openMosixanalyzer's charts) and the per-minute rollups it reads.
//
// Every aggregate, raw or per minute, is a set of sums and counts (n, up_sum, up_n, load_sum,
// load_n, ...), so raw rows at the edges of the range and minute rows inside it add up to exactly
// the averages the raw rows alone would give.
#include <map>
#include <utility>

#include <fmt/format.h>

#include "history/sqlite_util.h"
#include "history/store.h"

namespace omx::history {
namespace {

using nlohmann::json;

// The aggregate columns, in the order of the minute tables: n, up_sum, up_n, load_sum, load_n,
// mem_used_sum, mem_used_n, mem_total_sum, mem_total_n. Load and memory count only while up.
constexpr const char* kNodeAggregates =
    "COUNT(*), SUM(up), COUNT(*), "
    "SUM(CASE WHEN up THEN load END), COUNT(CASE WHEN up THEN load END), "
    "SUM(CASE WHEN up THEN mem_used END), COUNT(CASE WHEN up THEN mem_used END), "
    "SUM(CASE WHEN up THEN mem_total END), COUNT(CASE WHEN up THEN mem_total END)";
constexpr const char* kClusterAggregates =
    "COUNT(*), SUM(CASE WHEN nodes>0 THEN CAST(nodes_up AS REAL)/nodes END), "
    "COUNT(CASE WHEN nodes>0 THEN 1 END), SUM(load), COUNT(*), SUM(mem_used), COUNT(*), "
    "SUM(mem_total), COUNT(*)";
constexpr const char* kSumOfMinutes =
    "SUM(n), SUM(up_sum), SUM(up_n), SUM(load_sum), SUM(load_n), SUM(mem_used_sum), "
    "SUM(mem_used_n), SUM(mem_total_sum), SUM(mem_total_n)";

struct Acc {
  double v[9] = {};  // the aggregate columns above
  void add(const Stmt& s, int first) {
    for (int i = 0; i < 9; ++i) v[i] += s.is_null(first + i) ? 0.0 : s.f64(first + i);
  }
};

json ratio(double sum, double n) { return n > 0 ? json(sum / n) : json(nullptr); }

// A Series over `buckets` buckets from `accs` (bucket -> sums).
json series(int64_t g0, int64_t step, int64_t buckets, const std::map<int64_t, Acc>& accs) {
  json s = {{"t", json::array()}, {"load", json::array()}, {"mem_used", json::array()},
            {"mem_total", json::array()}, {"up", json::array()}};
  for (int64_t b = 0; b < buckets; ++b) {
    s["t"].push_back(g0 + b * step);
    auto it = accs.find(b);
    if (it == accs.end() || it->second.v[0] == 0) {
      for (const char* k : {"load", "mem_used", "mem_total", "up"}) s[k].push_back(nullptr);
      continue;
    }
    const double* v = it->second.v;
    s["up"].push_back(ratio(v[1], v[2]));
    s["load"].push_back(ratio(v[3], v[4]));
    s["mem_used"].push_back(ratio(v[5], v[6]));
    s["mem_total"].push_back(ratio(v[7], v[8]));
  }
  return s;
}

// Runs an aggregate query whose rows are (key, bucket, 9 aggregates) into acc[key][bucket].
Status collect(Stmt& s, int64_t buckets, std::map<int64_t, std::map<int64_t, Acc>>& acc) {
  for (;;) {
    OMX_ASSIGN(bool row, s.step());
    if (!row) break;
    int64_t b = s.i64(1);
    if (b >= 0 && b < buckets) acc[s.i64(0)][b].add(s, 2);
  }
  return ok_status();
}

}  // namespace

Status Store::rebuild_minute(int64_t minute) {
  int64_t lo = minute * kMinuteMs, hi = lo + kMinuteMs - 1;
  std::string sql = fmt::format(
      "DELETE FROM node_minutes WHERE m={0}; DELETE FROM cluster_minutes WHERE m={0};"
      "INSERT INTO node_minutes SELECT {0}, node, {3} FROM node_samples WHERE t BETWEEN {1} AND {2} "
      "GROUP BY node;"
      "INSERT INTO cluster_minutes SELECT {0}, {4} FROM samples WHERE t BETWEEN {1} AND {2} "
      "HAVING COUNT(*) > 0",
      minute, lo, hi, kNodeAggregates, kClusterAggregates);
  return exec(db_, path_, sql.c_str());
}

namespace {

constexpr const char* kAddToMinute =
    " ON CONFLICT DO UPDATE SET n=n+excluded.n, up_sum=up_sum+excluded.up_sum, "
    "up_n=up_n+excluded.up_n, load_sum=load_sum+excluded.load_sum, load_n=load_n+excluded.load_n, "
    "mem_used_sum=mem_used_sum+excluded.mem_used_sum, mem_used_n=mem_used_n+excluded.mem_used_n, "
    "mem_total_sum=mem_total_sum+excluded.mem_total_sum, mem_total_n=mem_total_n+excluded.mem_total_n";

// Binds a value counted only while up: (sum, n) at columns i, i+1.
void bind_counted(Stmt& s, int i, bool up, const std::optional<int64_t>& v) {
  bool counted = up && v.has_value();
  s.bind(i, counted ? *v : int64_t{0}).bind(i + 1, int64_t{counted});
}

}  // namespace

Status Store::add_to_minute(int64_t t, int64_t node, bool up, std::optional<int64_t> load,
                            std::optional<int64_t> mem_used, std::optional<int64_t> mem_total) {
  OMX_ASSIGN(Stmt s, Stmt::prepare(db_, path_, std::string(
      "INSERT INTO node_minutes VALUES(?,?,1,?,1,?,?,?,?,?,?)") + kAddToMinute));
  s.bind(1, t / kMinuteMs).bind(2, node).bind(3, int64_t{up});
  bind_counted(s, 4, up, load);
  bind_counted(s, 6, up, mem_used);
  bind_counted(s, 8, up, mem_total);
  return s.run();
}

Status Store::add_to_cluster_minute(int64_t t, int64_t nodes, int64_t nodes_up, int64_t load,
                                    int64_t mem_used, int64_t mem_total) {
  OMX_ASSIGN(Stmt s, Stmt::prepare(db_, path_, std::string(
      "INSERT INTO cluster_minutes VALUES(?,1,?,?,?,1,?,1,?,1)") + kAddToMinute));
  s.bind(1, t / kMinuteMs);
  if (nodes > 0) s.bind(2, static_cast<double>(nodes_up) / static_cast<double>(nodes)).bind(3, int64_t{1});
  else s.bind(2, 0.0).bind(3, int64_t{0});
  s.bind(4, load).bind(5, mem_used).bind(6, mem_total);
  return s.run();
}

Result<json> Store::load(const LoadQuery& q) const {
  if (q.from_ms < 0 || q.from_ms >= q.to_ms)
    return make_error(ErrorCode::kInvalid, fmt::format("history: 'from' ({}) must be before 'to' ({}) "
                                                       "and not negative", q.from_ms, q.to_ms));
  if (q.points < kMinPoints || q.points > kMaxPoints)
    return make_error(ErrorCode::kInvalid, fmt::format("history: points must be {}..{}, not {}",
                                                       kMinPoints, kMaxPoints, q.points));
  int64_t step = (q.to_ms - q.from_ms + q.points - 2) / (q.points - 1);
  if (step > kMinuteMs) step = (step + kMinuteMs - 1) / kMinuteMs * kMinuteMs;
  int64_t g0idx = q.from_ms / step, buckets = q.to_ms / step - g0idx + 1, g0 = g0idx * step;
  // Whole minutes inside [from, to] come from the rollups when buckets are whole minutes.
  int64_t mlo = (q.from_ms + kMinuteMs - 1) / kMinuteMs, mhi = (q.to_ms + 1) / kMinuteMs - 1;
  bool minutes = step % kMinuteMs == 0 && mlo <= mhi;
  std::vector<std::pair<int64_t, int64_t>> raw;  // raw ranges, inclusive
  if (minutes) {
    if (q.from_ms < mlo * kMinuteMs) raw.emplace_back(q.from_ms, mlo * kMinuteMs - 1);
    if ((mhi + 1) * kMinuteMs <= q.to_ms) raw.emplace_back((mhi + 1) * kMinuteMs, q.to_ms);
  } else {
    raw.emplace_back(q.from_ms, q.to_ms);
  }
  std::string node_cond = q.node ? fmt::format(" AND node={}", *q.node) : std::string();

  std::lock_guard lk(mu_);
  std::map<int64_t, std::map<int64_t, Acc>> nodes, cluster;
  for (auto [lo, hi] : raw) {
    OMX_ASSIGN(Stmt n, Stmt::prepare(db_, path_, fmt::format(
        "SELECT node, t/{0}-{1} AS b, {2} FROM node_samples WHERE t BETWEEN {3} AND {4}{5} "
        "GROUP BY node, b", step, g0idx, kNodeAggregates, lo, hi, node_cond)));
    OMX_TRY(collect(n, buckets, nodes));
    OMX_ASSIGN(Stmt c, Stmt::prepare(db_, path_, fmt::format(
        "SELECT 0, t/{0}-{1} AS b, {2} FROM samples WHERE t BETWEEN {3} AND {4} GROUP BY b",
        step, g0idx, kClusterAggregates, lo, hi)));
    OMX_TRY(collect(c, buckets, cluster));
  }
  if (minutes) {
    OMX_ASSIGN(Stmt n, Stmt::prepare(db_, path_, fmt::format(
        "SELECT node, m*{6}/{0}-{1} AS b, {2} FROM node_minutes WHERE m BETWEEN {3} AND {4}{5} "
        "GROUP BY node, b", step, g0idx, kSumOfMinutes, mlo, mhi, node_cond, kMinuteMs)));
    OMX_TRY(collect(n, buckets, nodes));
    OMX_ASSIGN(Stmt c, Stmt::prepare(db_, path_, fmt::format(
        "SELECT 0, m*{5}/{0}-{1} AS b, {2} FROM cluster_minutes WHERE m BETWEEN {3} AND {4} GROUP BY b",
        step, g0idx, kSumOfMinutes, mlo, mhi, kMinuteMs)));
    OMX_TRY(collect(c, buckets, cluster));
  }

  json out = {{"from", q.from_ms}, {"to", q.to_ms}, {"step_ms", step}, {"nodes", json::array()},
              {"marks", json::array()}};
  for (const auto& [node, accs] : nodes) {
    json s = series(g0, step, buckets, accs);
    s["node"] = node;
    out["nodes"].push_back(std::move(s));
  }
  out["cluster"] = series(g0, step, buckets, cluster[0]);
  OMX_ASSIGN(Stmt ms, Stmt::prepare(db_, path_, "SELECT t, label FROM marks WHERE t BETWEEN ? AND ? ORDER BY t, id"));
  ms.bind(1, q.from_ms).bind(2, q.to_ms);
  for (;;) {
    OMX_ASSIGN(bool row, ms.step());
    if (!row) break;
    out["marks"].push_back({{"t", ms.i64(0)}, {"label", ms.text(1)}});
  }
  return out;
}

}  // namespace omx::history
