// omx::history::Store: bucketing with known values, nodes down, empty buckets, node filter, marks,
// the process list at a past moment, retention, persistence, refusal of foreign/newer/corrupt
// files, and concurrent record/load.
#include "history/store.h"

#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

namespace omx::history {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

constexpr int64_t kT0 = 1'800'000'000'000;  // 2027-01-15, ms

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/omx-history-test.XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

json node(int id, bool up, int load, int64_t mem_used, int64_t mem_total) {
  return {{"id", id}, {"addr", "10.0.0." + std::to_string(id)}, {"up", up}, {"load", load},
          {"speed", 10000}, {"ncpus", 2}, {"mem_used", mem_used}, {"mem_total", mem_total}};
}

json cluster_of(std::vector<json> nodes) {
  return {{"self", 1}, {"time", 0}, {"nodes", nodes}, {"cluster", json::object()}};
}

json procs_of(std::vector<std::pair<int, std::string>> ps) {
  json a = json::array();
  for (auto& [pid, comm] : ps)
    a.push_back({{"node", 1}, {"pid", pid}, {"home", 1}, {"home_pid", pid}, {"where", 2},
                 {"comm", comm}, {"cpu_s", 1.5}, {"rss_kib", 1024}, {"lock", false}, {"nmigs", 1}});
  return {{"time", 0}, {"processes", a}, {"errors", json::array()}};
}

std::unique_ptr<Store> open_ok(const std::string& path, milliseconds retention = kDefaultRetention) {
  auto s = Store::open(path, retention);
  EXPECT_TRUE(s.ok()) << s.error().message();
  return s.ok() ? std::move(*s) : nullptr;
}

TEST(HistoryStore, EmptyInfo) {
  TempDir d;
  auto s = open_ok(d.file("h.db"));
  json i = s->info();
  EXPECT_TRUE(i["first"].is_null());
  EXPECT_TRUE(i["last"].is_null());
  EXPECT_EQ(i["samples"], 0);
  EXPECT_EQ(i["retention_ms"], kDefaultRetention.count());
}

// Two nodes, 10 samples 1 s apart; 5 buckets of 2 s. Node 2 is down in samples 2 and 3 (bucket 1)
// and in sample 4 (first half of bucket 2).
TEST(HistoryStore, LoadBucketsWithKnownValues) {
  TempDir d;
  auto s = open_ok(d.file("h.db"));
  for (int i = 0; i < 10; ++i) {
    bool up2 = !(i == 2 || i == 3 || i == 4);
    ASSERT_TRUE(s->record(kT0 + i * 1000,
                          cluster_of({node(1, true, 100 * i, 1000 + i, 4000), node(2, up2, 50, 2000, 8000)}),
                          nullptr).ok());
  }
  auto r = s->load({kT0, kT0 + 9999, std::nullopt, 5});
  ASSERT_TRUE(r.ok()) << r.error().message();
  const json& j = *r;
  EXPECT_EQ(j["step_ms"], 2000);
  EXPECT_EQ(j["from"], kT0);
  ASSERT_EQ(j["nodes"].size(), 2u);
  const json& n1 = j["nodes"][0];
  const json& n2 = j["nodes"][1];
  EXPECT_EQ(n1["node"], 1);
  EXPECT_EQ(n2["node"], 2);
  ASSERT_EQ(n1["t"].size(), 5u);
  EXPECT_EQ(n1["t"][1], kT0 + 2000);
  // node 1: load 0,100 | 200,300 | ... -> 50, 250, 450, 650, 850
  for (int b = 0; b < 5; ++b) {
    EXPECT_DOUBLE_EQ(n1["load"][b].get<double>(), 200.0 * b + 50) << b;
    EXPECT_DOUBLE_EQ(n1["mem_used"][b].get<double>(), 1000 + 2 * b + 0.5) << b;
    EXPECT_DOUBLE_EQ(n1["up"][b].get<double>(), 1.0);
  }
  // node 2: down throughout bucket 1 -> null load and memory, up 0; half of bucket 2.
  EXPECT_TRUE(n2["load"][1].is_null());
  EXPECT_TRUE(n2["mem_total"][1].is_null());
  EXPECT_DOUBLE_EQ(n2["up"][1].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(n2["load"][2].get<double>(), 50.0);
  EXPECT_DOUBLE_EQ(n2["up"][2].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(n2["up"][0].get<double>(), 1.0);
  // cluster: sum over nodes up. Bucket 1: node 1 only (200, 300) -> 250; bucket 2: samples 4
  // (400) and 5 (500+50) -> 475; up share 0.5 and 0.75.
  const json& c = j["cluster"];
  EXPECT_FALSE(c.contains("node"));
  EXPECT_DOUBLE_EQ(c["load"][0].get<double>(), 100.0);
  EXPECT_DOUBLE_EQ(c["load"][1].get<double>(), 250.0);
  EXPECT_DOUBLE_EQ(c["load"][2].get<double>(), 475.0);
  EXPECT_DOUBLE_EQ(c["up"][1].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(c["up"][2].get<double>(), 0.75);
  EXPECT_DOUBLE_EQ(c["mem_total"][1].get<double>(), 4000.0);
  EXPECT_DOUBLE_EQ(c["mem_total"][3].get<double>(), 12000.0);
}

TEST(HistoryStore, NullBucketsWhereNoSampleAndNodeFilter) {
  TempDir d;
  auto s = open_ok(d.file("h.db"));
  // Samples only in the first and the last of 10 buckets of 1 s.
  for (int64_t t : {kT0, kT0 + 500, kT0 + 9500}) {
    ASSERT_TRUE(s->record(t, cluster_of({node(1, true, 10, 1, 2), node(3, true, 30, 3, 4)}), nullptr).ok());
  }
  auto r = s->load({kT0, kT0 + 9999, std::nullopt, 10});
  ASSERT_TRUE(r.ok()) << r.error().message();
  const json& c = (*r)["cluster"];
  ASSERT_EQ(c["load"].size(), 10u);
  EXPECT_DOUBLE_EQ(c["load"][0].get<double>(), 40.0);
  for (int b = 1; b < 9; ++b) {
    EXPECT_TRUE(c["load"][b].is_null()) << b;
    EXPECT_TRUE(c["up"][b].is_null()) << b;
    EXPECT_TRUE((*r)["nodes"][0]["load"][b].is_null()) << b;
  }
  EXPECT_DOUBLE_EQ(c["load"][9].get<double>(), 40.0);

  auto only3 = s->load({kT0, kT0 + 9999, 3u, 10});
  ASSERT_TRUE(only3.ok());
  ASSERT_EQ((*only3)["nodes"].size(), 1u);
  EXPECT_EQ((*only3)["nodes"][0]["node"], 3);
  EXPECT_DOUBLE_EQ((*only3)["nodes"][0]["load"][0].get<double>(), 30.0);
  EXPECT_DOUBLE_EQ((*only3)["cluster"]["load"][0].get<double>(), 40.0);  // still all nodes
  auto none = s->load({kT0, kT0 + 9999, 7u, 10});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE((*none)["nodes"].empty());

  // Outside the range: every value null, still `points` buckets at most.
  auto later = s->load({kT0 + 20000, kT0 + 30000, std::nullopt, 300});
  ASSERT_TRUE(later.ok());
  EXPECT_LE((*later)["cluster"]["t"].size(), 300u);
  for (const json& v : (*later)["cluster"]["load"]) EXPECT_TRUE(v.is_null());
}

TEST(HistoryStore, AtMostPointsBuckets) {
  TempDir d;
  auto s = open_ok(d.file("h.db"));
  for (int64_t span : {1, 2, 299, 300, 301, 1000, 86'400'000}) {
    for (int points : {2, 3, 300, 2000}) {
      auto r = s->load({kT0, kT0 + span, std::nullopt, points});
      ASSERT_TRUE(r.ok());
      size_t n = (*r)["cluster"]["t"].size();
      EXPECT_LE(n, static_cast<size_t>(points)) << span << " " << points;
      EXPECT_GE(n, 1u);
      int64_t step = (*r)["step_ms"];
      // The buckets cover [from, to].
      EXPECT_GE(kT0 + static_cast<int64_t>(n) * step, kT0 + span + 1) << span << " " << points;
    }
  }
}

TEST(HistoryStore, QueryValidation) {
  TempDir d;
  auto s = open_ok(d.file("h.db"));
  EXPECT_EQ(s->load({kT0, kT0, std::nullopt, 300}).error().code, ErrorCode::kInvalid);
  EXPECT_EQ(s->load({kT0 + 1, kT0, std::nullopt, 300}).error().code, ErrorCode::kInvalid);
  EXPECT_FALSE(s->load({kT0, kT0 + 10, std::nullopt, 1}).ok());
  EXPECT_FALSE(s->load({kT0, kT0 + 10, std::nullopt, 2001}).ok());
  EXPECT_TRUE(s->load({kT0, kT0 + 10, std::nullopt, 2}).ok());
  EXPECT_TRUE(s->load({kT0, kT0 + 10, std::nullopt, 2000}).ok());
  EXPECT_FALSE(s->record(kT0, json::object(), nullptr).ok());
  EXPECT_FALSE(s->record(kT0, cluster_of({}), json{{"processes", 3}}).ok());
  EXPECT_FALSE(s->add_mark(kT0, std::string(201, 'x')).ok());
  EXPECT_TRUE(s->add_mark(kT0, std::string(200, 'x')).ok());
  EXPECT_FALSE(Store::open(d.file("r.db"), milliseconds(0)).ok());
}

TEST(HistoryStore, MarksInRange) {
  TempDir d;
  auto s = open_ok(d.file("h.db"));
  ASSERT_TRUE(s->add_mark(kT0 - 1, "before").ok());
  ASSERT_TRUE(s->add_mark(kT0 + 5000, "start of run 2").ok());
  ASSERT_TRUE(s->add_mark(kT0 + 1000, "").ok());
  ASSERT_TRUE(s->add_mark(kT0 + 20000, "after").ok());
  auto r = s->load({kT0, kT0 + 10000, std::nullopt, 10});
  ASSERT_TRUE(r.ok());
  const json& m = (*r)["marks"];
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0]["t"], kT0 + 1000);
  EXPECT_EQ(m[0]["label"], "");
  EXPECT_EQ(m[1]["label"], "start of run 2");
}

TEST(HistoryStore, ProcessesAtPicksTheLatestSnapshotAtOrBefore) {
  TempDir d;
  auto s = open_ok(d.file("h.db"));
  EXPECT_EQ(s->processes_at(kT0).error().code, ErrorCode::kRefused);
  auto c = cluster_of({node(1, true, 0, 0, 0)});
  ASSERT_TRUE(s->record(kT0, c, procs_of({{10, "a"}})).ok());
  ASSERT_TRUE(s->record(kT0 + 1000, c, procs_of({{10, "a"}})).ok());  // same: stored as a reference
  ASSERT_TRUE(s->record(kT0 + 2000, c, nullptr).ok());                // no process list
  ASSERT_TRUE(s->record(kT0 + 3000, c, procs_of({{10, "a"}, {11, "b"}})).ok());
  ASSERT_TRUE(s->record(kT0 + 4000, c, procs_of({{11, "b"}})).ok());

  auto before = s->processes_at(kT0 - 1);
  ASSERT_FALSE(before.ok());
  EXPECT_EQ(before.error().code, ErrorCode::kRefused);
  EXPECT_NE(before.error().message().find("first"), std::string::npos) << before.error().message();

  auto at0 = s->processes_at(kT0);
  ASSERT_TRUE(at0.ok()) << at0.error().message();
  EXPECT_EQ((*at0)["time"], kT0);
  ASSERT_EQ((*at0)["processes"].size(), 1u);
  EXPECT_EQ((*at0)["processes"][0]["comm"], "a");
  EXPECT_EQ((*at0)["processes"][0]["where"], 2);
  EXPECT_TRUE((*at0)["errors"].is_array());

  auto ref = s->processes_at(kT0 + 1500);
  ASSERT_TRUE(ref.ok()) << ref.error().message();
  EXPECT_EQ((*ref)["time"], kT0 + 1000);
  EXPECT_EQ((*ref)["processes"].size(), 1u);
  EXPECT_EQ(s->processes_at(kT0 + 2999)->at("time"), kT0 + 1000);

  auto two = s->processes_at(kT0 + 3000);
  ASSERT_TRUE(two.ok());
  EXPECT_EQ((*two)["processes"].size(), 2u);
  auto last = s->processes_at(kT0 + 999999);
  ASSERT_TRUE(last.ok());
  EXPECT_EQ((*last)["time"], kT0 + 4000);
  EXPECT_EQ((*last)["processes"][0]["pid"], 11);
}

TEST(HistoryStore, PruneKeepsRetentionAndReferencedSnapshots) {
  TempDir d;
  auto s = open_ok(d.file("h.db"), milliseconds(10'000));
  auto c = cluster_of({node(1, true, 7, 1, 2)});
  // 0..19 s; identical process lists, so all but the first are references.
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(s->record(kT0 + i * 1000, c, procs_of({{5, "same"}})).ok());
  ASSERT_TRUE(s->add_mark(kT0 + 1000, "old").ok());
  ASSERT_TRUE(s->add_mark(kT0 + 15000, "new").ok());
  ASSERT_TRUE(s->prune(kT0 + 19000).ok());  // keep t >= 9 s
  json i = s->info();
  EXPECT_EQ(i["first"], kT0 + 9000);
  EXPECT_EQ(i["last"], kT0 + 19000);
  EXPECT_EQ(i["samples"], 11);
  EXPECT_FALSE(s->processes_at(kT0 + 8999).ok());
  auto p = s->processes_at(kT0 + 9000);
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_EQ((*p)["processes"][0]["comm"], "same");
  auto p2 = s->processes_at(kT0 + 12000);
  ASSERT_TRUE(p2.ok()) << p2.error().message();
  auto r = s->load({kT0, kT0 + 19999, std::nullopt, 20});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ((*r)["marks"].size(), 1u);
  EXPECT_EQ((*r)["marks"][0]["label"], "new");
  EXPECT_TRUE((*r)["nodes"][0]["load"][8].is_null());
  EXPECT_DOUBLE_EQ((*r)["nodes"][0]["load"][9].get<double>(), 7.0);
}

TEST(HistoryStore, RecordPrunesByItself) {
  TempDir d;
  auto s = open_ok(d.file("h.db"), milliseconds(60'000));
  auto c = cluster_of({node(1, true, 1, 1, 1)});
  ASSERT_TRUE(s->record(kT0, c, nullptr).ok());
  ASSERT_TRUE(s->record(kT0 + 30'000, c, nullptr).ok());
  ASSERT_TRUE(s->record(kT0 + 200'000, c, nullptr).ok());  // a minute after the last prune
  json i = s->info();
  EXPECT_EQ(i["first"], kT0 + 200'000);
  EXPECT_EQ(i["samples"], 1);
}

TEST(HistoryStore, ReopenPersists) {
  TempDir d;
  {
    auto s = open_ok(d.file("h.db"));
    ASSERT_TRUE(s->record(kT0, cluster_of({node(4, true, 40, 1, 2)}), procs_of({{1, "x"}})).ok());
    ASSERT_TRUE(s->add_mark(kT0, "m").ok());
  }
  auto s = open_ok(d.file("h.db"));
  EXPECT_EQ(s->info()["samples"], 1);
  ASSERT_TRUE(s->processes_at(kT0).ok());
  // The first record after reopening stores its own body even when it equals the last one.
  ASSERT_TRUE(s->record(kT0 + 1000, cluster_of({node(4, true, 40, 1, 2)}), procs_of({{1, "x"}})).ok());
  EXPECT_EQ(s->processes_at(kT0 + 1000)->at("processes").size(), 1u);
  auto ro = Store::open_readonly(d.file("h.db"));
  ASSERT_TRUE(ro.ok()) << ro.error().message();
  EXPECT_EQ((*ro)->info()["samples"], 2);
  EXPECT_FALSE((*ro)->add_mark(kT0, "x").ok());
  auto r = (*ro)->load({kT0, kT0 + 1000, std::nullopt, 2});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)["marks"][0]["label"], "m");
}

TEST(HistoryStore, NewerSchemaRefused) {
  TempDir d;
  { open_ok(d.file("h.db")); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(d.file("h.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version=99", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto s = Store::open(d.file("h.db"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kInvalid);
  EXPECT_NE(s.error().message().find("schema version 99 is newer"), std::string::npos) << s.error().message();
  EXPECT_FALSE(Store::open_readonly(d.file("h.db")).ok());
}

TEST(HistoryStore, ForeignDatabaseRefused) {
  TempDir d;
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(d.file("other.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE t(x)", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto s = Store::open(d.file("other.db"));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("not an omx history database"), std::string::npos) << s.error().message();
}

TEST(HistoryStore, CorruptAndUnwritableFilesGiveErrors) {
  TempDir d;
  {
    std::ofstream f(d.file("junk.db"));
    for (int i = 0; i < 200; ++i) f << "this is not a database at all, line " << i << "\n";
  }
  auto s = Store::open(d.file("junk.db"));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("junk.db"), std::string::npos) << s.error().message();
  EXPECT_FALSE(Store::open_readonly(d.file("junk.db")).ok());

  auto missing_dir = Store::open(d.file("no/such/dir/h.db"));
  ASSERT_FALSE(missing_dir.ok());
  EXPECT_NE(missing_dir.error().message().find("no/such/dir/h.db"), std::string::npos);
  auto missing = Store::open_readonly(d.file("absent.db"));
  ASSERT_FALSE(missing.ok());
  EXPECT_FALSE(std::filesystem::exists(d.file("absent.db")));

  // A valid header with damaged pages: open may succeed, queries must fail cleanly.
  {
    auto ok = open_ok(d.file("dmg.db"));
    for (int i = 0; i < 300; ++i)
      ASSERT_TRUE(ok->record(kT0 + i * 1000, cluster_of({node(1, true, i, 1, 2), node(2, true, i, 1, 2)}),
                             procs_of({{i, "p" + std::to_string(i)}})).ok());
  }
  std::filesystem::remove(d.file("dmg.db-wal"));
  {
    std::fstream f(d.file("dmg.db"), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(4096 + 100);
    for (int i = 0; i < 4096 * 4; ++i) f.put(static_cast<char>(0xA5));
  }
  auto dmg = Store::open(d.file("dmg.db"));
  if (dmg.ok()) {
    auto r = (*dmg)->load({kT0, kT0 + 300'000, std::nullopt, 300});
    auto p = (*dmg)->processes_at(kT0 + 150'000);
    (void)(*dmg)->info();
    EXPECT_FALSE(r.ok() && p.ok()) << "damaged pages went unnoticed";
    if (!r.ok()) {
      EXPECT_NE(r.error().message().find("dmg.db"), std::string::npos) << r.error().message();
    }
  }
}

TEST(HistoryStore, ConcurrentRecordAndLoad) {
  TempDir d;
  auto s = open_ok(d.file("h.db"));
  std::atomic<bool> done{false};
  std::atomic<int> loads{0}, errors{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&, r] {
      while (!done) {
        auto j = s->load({kT0, kT0 + 600'000, r == 0 ? std::optional<uint32_t>(2) : std::nullopt, 100});
        if (!j.ok()) ++errors;
        if (r == 1) (void)s->processes_at(kT0 + 300'000);
        ++loads;
      }
    });
  }
  for (int i = 0; i < 600; ++i) {
    ASSERT_TRUE(s->record(kT0 + i * 1000, cluster_of({node(1, true, 1, 1, 1), node(2, i % 2, 2, 2, 2)}),
                          procs_of({{i % 7, "c"}})).ok());
  }
  done = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(errors, 0);
  EXPECT_GT(loads, 0);
  EXPECT_EQ(s->info()["samples"], 600);
  auto r = s->load({kT0, kT0 + 599'999, 2u, 600});
  ASSERT_TRUE(r.ok());
  EXPECT_DOUBLE_EQ((*r)["nodes"][0]["up"][1].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ((*r)["nodes"][0]["up"][2].get<double>(), 0.0);
}

}  // namespace
}  // namespace omx::history
