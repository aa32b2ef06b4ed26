// history_bench: the collector's database at its design size: DAYS of 1-s samples of NODES nodes
// (default 7 days x 8 nodes = 604,800 samples, 4.8 M node rows). Prints
//   record:  Store::record per sample (JSON in, one transaction) vs a plain SQLite insert of the
//            same rows in one transaction per sample (prepared statements, same table shapes);
//   load:    Store::load over the whole range / the last hour (300 points, every node) vs one plain
//            aggregate over the same rows (SELECT node, AVG(load) ... GROUP BY node).
// as times and ratios to the baseline, measured in the same run (these machines are shared).
// Usage: history_bench [--days D] [--nodes N] [--dir DIR]
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "history/store.h"

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;
constexpr int64_t kT0 = 1'800'000'000'000;

double secs(Clock::time_point a) { return std::chrono::duration<double>(Clock::now() - a).count(); }

json cluster_at(int64_t i, int nodes) {
  json a = json::array();
  for (int n = 1; n <= nodes; ++n)
    a.push_back({{"id", n}, {"addr", "10.0.0.1"}, {"up", (i + n) % 97 != 0}, {"load", (i * n) % 400},
                 {"speed", 10000}, {"ncpus", 4}, {"mem_used", 1000000 + i % 1000},
                 {"mem_total", 8000000}, {"guests", n % 3}, {"local_procs", 5}});
  return {{"self", 1}, {"time", kT0 + i * 1000}, {"nodes", a}, {"cluster", json::object()}};
}

void die(const char* what) {
  std::fprintf(stderr, "history_bench: %s\n", what);
  std::exit(1);
}

// The baseline: the same rows through bare prepared statements, a transaction per sample.
double baseline_insert(const std::string& path, int64_t samples, int nodes) {
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) die("cannot open the baseline db");
  sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                   "CREATE TABLE samples(t INTEGER PRIMARY KEY, nodes, nodes_up, load, mem_used, mem_total);"
                   "CREATE TABLE node_samples(t INTEGER NOT NULL, node INTEGER NOT NULL, up, load, speed, "
                   "ncpus, mem_used, mem_total, guests, local_procs, PRIMARY KEY(t, node)) WITHOUT ROWID",
               nullptr, nullptr, nullptr);
  sqlite3_stmt *ins = nullptr, *s = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO node_samples VALUES(?,?,?,?,?,?,?,?,?,?)", -1, &ins, nullptr);
  sqlite3_prepare_v2(db, "INSERT INTO samples VALUES(?,?,?,?,?,?)", -1, &s, nullptr);
  auto t0 = Clock::now();
  for (int64_t i = 0; i < samples; ++i) {
    int64_t t = kT0 + i * 1000;
    sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
    for (int n = 1; n <= nodes; ++n) {
      int64_t v[] = {t, n, (i + n) % 97 != 0, (i * n) % 400, 10000, 4, 1000000 + i % 1000, 8000000, n % 3, 5};
      for (int k = 0; k < 10; ++k) sqlite3_bind_int64(ins, k + 1, v[k]);
      sqlite3_step(ins);
      sqlite3_reset(ins);
    }
    int64_t w[] = {t, nodes, nodes, 1000, 1000, 1000};
    for (int k = 0; k < 6; ++k) sqlite3_bind_int64(s, k + 1, w[k]);
    sqlite3_step(s);
    sqlite3_reset(s);
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  }
  double d = secs(t0);
  sqlite3_finalize(ins);
  sqlite3_finalize(s);
  sqlite3_close(db);
  return d;
}

double baseline_query(const std::string& path, int64_t from, int64_t to) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_stmt* q = nullptr;
  sqlite3_prepare_v2(db, "SELECT node, AVG(load), AVG(mem_used) FROM node_samples WHERE t BETWEEN ? AND ? "
                         "GROUP BY node", -1, &q, nullptr);
  sqlite3_bind_int64(q, 1, from);
  sqlite3_bind_int64(q, 2, to);
  auto t0 = Clock::now();
  while (sqlite3_step(q) == SQLITE_ROW) {
  }
  double d = secs(t0);
  sqlite3_finalize(q);
  sqlite3_close(db);
  return d;
}

}  // namespace

int main(int argc, char** argv) {
  double days = 7;
  int nodes = 8;
  std::string dir = "/tmp";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--days") days = std::atof(argv[i + 1]);
    else if (a == "--nodes") nodes = std::atoi(argv[i + 1]);
    else if (a == "--dir") dir = argv[i + 1];
    else die("usage: history_bench [--days D] [--nodes N] [--dir DIR]");
  }
  int64_t samples = static_cast<int64_t>(days * 86400);
  std::string base = dir + "/omx-history-bench." + std::to_string(::getpid());
  std::filesystem::create_directories(base);

  double raw_ins = baseline_insert(base + "/raw.db", samples, nodes);
  auto store = omx::history::Store::open(base + "/h.db", std::chrono::hours(24 * 365));
  if (!store.ok()) die(store.error().message().c_str());
  auto t0 = Clock::now();
  for (int64_t i = 0; i < samples; ++i) {
    auto st = (*store)->record(kT0 + i * 1000, cluster_at(i, nodes), nullptr);
    if (!st.ok()) die(st.error().message().c_str());
  }
  double rec = secs(t0);
  std::printf("history_bench: %lld samples x %d nodes\n", static_cast<long long>(samples), nodes);
  std::printf("record      %8.2f us/sample  baseline %8.2f us/sample  ratio %.2f\n", rec / samples * 1e6,
              raw_ins / samples * 1e6, rec / raw_ins);

  int64_t last = kT0 + (samples - 1) * 1000;
  struct Range { const char* name; int64_t from; };
  for (Range r : {Range{"load all", kT0}, Range{"load 1 h", last - 3'600'000}}) {
    double raw = baseline_query(base + "/raw.db", r.from, last);
    auto q0 = Clock::now();
    auto j = (*store)->load({r.from, last, std::nullopt, 300});
    double d = secs(q0);
    if (!j.ok()) die(j.error().message().c_str());
    std::printf("%-10s  %8.1f ms          baseline %8.1f ms          ratio %.2f\n", r.name, d * 1e3, raw * 1e3,
                d / raw);
  }
  std::printf("db size     %.1f MiB\n", static_cast<double>(std::filesystem::file_size(base + "/h.db")) / (1 << 20));
  std::filesystem::remove_all(base);
  return 0;
}
