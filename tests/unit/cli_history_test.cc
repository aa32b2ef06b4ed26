// `omx history`: TIME arguments, the text tables, and the built binary on a database this test
// fills through omx::history::Store (load, procs, mark, info; exit codes of docs/exit-codes.md).
#include "history_view.h"

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "history/store.h"

namespace omx::cli {
namespace {

using nlohmann::json;

constexpr int64_t kNow = 1'800'000'000'000;

TEST(HistoryTimeArg, Forms) {
  EXPECT_EQ(*parse_time_arg("now", kNow), kNow);
  EXPECT_EQ(*parse_time_arg("1795000000123", kNow), 1795000000123);
  EXPECT_EQ(*parse_time_arg("-10m", kNow), kNow - 600'000);
  EXPECT_EQ(*parse_time_arg("-2h", kNow), kNow - 7'200'000);
  EXPECT_EQ(*parse_time_arg("-30s", kNow), kNow - 30'000);
  EXPECT_EQ(*parse_time_arg("-1d", kNow), kNow - 86'400'000);
  EXPECT_EQ(*parse_time_arg("-500ms", kNow), kNow - 500);
  EXPECT_EQ(*parse_time_arg("2026-11-21T22:00:00Z", kNow), 1795298400000);
  EXPECT_EQ(*parse_time_arg("2026-11-21 22:00Z", kNow), 1795298400000);
  EXPECT_EQ(*parse_time_arg("2026-11-21Z", kNow), 1795219200000);
  // Local time: whatever TZ says, it round-trips through format_time_ms.
  auto local = parse_time_arg("2026-11-21T22:00:00", kNow);
  ASSERT_TRUE(local.ok());
  EXPECT_EQ(format_time_ms(*local), "2026-11-21 22:00:00");
  EXPECT_EQ(format_time_ms(*local + 250), "2026-11-21 22:00:00.250");
  for (const char* bad : {"", "-", "-10", "-10x", "yesterday", "2026-13-01T00:00:00", "12abc",
                          "2026-11-21T22:00:00+02", "99999999999999999999"}) {
    auto r = parse_time_arg(bad, kNow);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalid);
    EXPECT_NE(r.error().what.find("bad time"), std::string::npos);
  }
}

TEST(HistoryView, LoadTable) {
  json h = {{"from", kNow}, {"to", kNow + 120'000}, {"step_ms", 60'000},
            {"nodes", {{{"node", 2}, {"t", {kNow, kNow + 60'000, kNow + 120'000}},
                        {"load", {150.4, nullptr, nullptr}}, {"mem_used", {50, nullptr, nullptr}},
                        {"mem_total", {200, nullptr, nullptr}}, {"up", {1.0, 0.0, nullptr}}}}},
            {"cluster", {{"t", {kNow, kNow + 60'000, kNow + 120'000}}, {"load", {150.4, 0, nullptr}},
                         {"mem_used", {50, 0, nullptr}}, {"mem_total", {200, 0, nullptr}},
                         {"up", {1.0, 0.0, nullptr}}}},
            {"marks", {{{"t", kNow + 1000}, {"label", "run 2"}}}}};
  std::string t = render_load_table(h);
  EXPECT_NE(t.find("one row per 1m"), std::string::npos) << t;
  EXPECT_NE(t.find("cluster"), std::string::npos);
  EXPECT_NE(t.find("node 2"), std::string::npos);
  EXPECT_NE(t.find("    150   25%"), std::string::npos) << t;  // cluster, then node 2
  EXPECT_NE(t.find("down"), std::string::npos) << t;
  EXPECT_NE(t.find("run 2"), std::string::npos);
  EXPECT_NE(t.find(format_time_ms(kNow + 60'000)), std::string::npos);
}

TEST(HistoryView, ProcessTable) {
  json p = {{"time", kNow},
            {"processes", {{{"node", 1}, {"pid", 4242}, {"home", 1}, {"home_pid", 4242}, {"where", 3},
                            {"user", "alice"}, {"lock", true}, {"nmigs", 2}, {"cpu_s", 125.0},
                            {"rss_kib", 2048}, {"cmdline", "./crunch --big"}}}},
            {"errors", {{{"node", 5}, {"error", "timed out"}}}}};
  std::string t = render_process_table(p);
  EXPECT_NE(t.find("NODE  PID HOME HPID WHERE USER  LOCK NMIGS CANTMOVE  CPU  MEM COMMAND"), std::string::npos) << t;
  EXPECT_NE(t.find("   1 4242    1 4242     3 alice    1     2 -        2:05 2.0M ./crunch --big"), std::string::npos) << t;
  EXPECT_NE(t.find("node 5 did not answer: timed out"), std::string::npos);
}

// The built binary against a database filled here.
class HistoryCli : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* b = std::getenv("OMX_BUILD");
    if (!b) GTEST_SKIP() << "OMX_BUILD not set (run through ctest)";
    omx_ = std::string(b) + "/bin/omx";
    char tmpl[] = "/tmp/omx-cli-history.XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    db_ = dir_ + "/h.db";
    now_ = std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch()).count();
    auto s = history::Store::open(db_, std::chrono::hours(48));
    ASSERT_TRUE(s.ok()) << s.error().message();
    // 30 minutes of 10-s samples ending now: node 1 load 100, node 2 load 300 (down during the
    // first 10 minutes); the process list changes at -15 min.
    for (int64_t t = now_ - 30 * 60'000; t <= now_; t += 10'000) {
      bool up2 = t >= now_ - 20 * 60'000;
      json nodes = {{{"id", 1}, {"addr", "a"}, {"up", true}, {"load", 100}, {"mem_used", 1 << 20}, {"mem_total", 4 << 20}},
                    {{"id", 2}, {"addr", "b"}, {"up", up2}, {"load", 300}, {"mem_used", 3 << 20}, {"mem_total", 4 << 20}}};
      json procs = {{"time", t}, {"errors", json::array()},
                    {"processes", {{{"node", 1}, {"pid", 11}, {"home", 1}, {"home_pid", 11}, {"where", 1},
                                    {"comm", "early"}, {"cmdline", "early-job"}}}}};
      if (t >= now_ - 15 * 60'000)
        procs["processes"] = {{{"node", 1}, {"pid", 22}, {"home", 1}, {"home_pid", 22}, {"where", 2},
                               {"comm", "late"}, {"cmdline", "late-job --x"}}};
      ASSERT_TRUE((*s)->record(t, {{"self", 1}, {"time", t}, {"nodes", nodes}, {"cluster", json::object()}}, procs).ok());
    }
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // Runs omx with args; returns the exit status, stdout in out_, stderr in err_.
  int run(const std::string& args) {
    std::string cmd = "timeout 20 " + omx_ + " " + args + " > " + dir_ + "/out 2> " + dir_ + "/err < /dev/null";
    int st = std::system(cmd.c_str());
    out_ = slurp(dir_ + "/out");
    err_ = slurp(dir_ + "/err");
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  }
  static std::string slurp(const std::string& path) {
    std::ifstream f(path);
    return std::string(std::istreambuf_iterator<char>(f), {});
  }
  static size_t lines(const std::string& s) { return static_cast<size_t>(std::count(s.begin(), s.end(), '\n')); }

  std::string omx_, dir_, db_, out_, err_;
  int64_t now_ = 0;
};

TEST_F(HistoryCli, Info) {
  ASSERT_EQ(run("history --db " + db_ + " info --json"), 0) << err_;
  json i = json::parse(out_);
  EXPECT_EQ(i["samples"], 181);
  EXPECT_EQ(i["last"], now_);
  EXPECT_EQ(i["retention_ms"], 48 * 3'600'000LL);
  ASSERT_EQ(run("history --db " + db_ + " info"), 0) << err_;
  EXPECT_NE(out_.find("samples    181"), std::string::npos) << out_;
  EXPECT_NE(out_.find("retention  2.0 days"), std::string::npos) << out_;
}

TEST_F(HistoryCli, LoadJsonAndText) {
  ASSERT_EQ(run("history --db " + db_ + " load --from -30m --to now --json --points 7"), 0) << err_;
  json h = json::parse(out_);
  EXPECT_EQ(h["step_ms"], 300'000);
  ASSERT_EQ(h["nodes"].size(), 2u);
  size_t last = h["cluster"]["load"].size() - 1;
  EXPECT_DOUBLE_EQ(h["nodes"][0]["load"][last].get<double>(), 100.0);
  EXPECT_DOUBLE_EQ(h["nodes"][1]["load"][last].get<double>(), 300.0);
  EXPECT_DOUBLE_EQ(h["cluster"]["load"][last].get<double>(), 400.0);
  EXPECT_DOUBLE_EQ(h["nodes"][1]["up"][1].get<double>(), 0.0);  // down for the first 10 minutes

  ASSERT_EQ(run("history --db " + db_ + " load --node 2 --json"), 0) << err_;
  json only2 = json::parse(out_);
  ASSERT_EQ(only2["nodes"].size(), 1u);
  EXPECT_EQ(only2["nodes"][0]["node"], 2);
  EXPECT_LE(only2["cluster"]["t"].size(), 300u);

  ASSERT_EQ(run("history --db " + db_ + " load --from -30m"), 0) << err_;
  EXPECT_NE(out_.find("node 1"), std::string::npos) << out_;
  EXPECT_NE(out_.find("down"), std::string::npos) << out_;
  EXPECT_NE(out_.find("    400   50%"), std::string::npos) << out_;  // cluster: 4 MiB of 8
  EXPECT_LE(lines(out_), 3u + 24u) << out_;
  EXPECT_TRUE(err_.empty()) << err_;
}

TEST_F(HistoryCli, ProcsAtAMoment) {
  ASSERT_EQ(run("history --db " + db_ + " procs --at -20m --json"), 0) << err_;
  json p = json::parse(out_);
  EXPECT_EQ(p["processes"][0]["comm"], "early");
  EXPECT_LE(p["time"].get<int64_t>(), now_ - 20 * 60'000);
  EXPECT_GT(p["time"].get<int64_t>(), now_ - 20 * 60'000 - 10'000);
  ASSERT_EQ(run("history --db " + db_ + " procs --at now"), 0) << err_;
  EXPECT_NE(out_.find("late-job --x"), std::string::npos) << out_;
  EXPECT_NE(out_.find("WHERE"), std::string::npos) << out_;
  EXPECT_EQ(out_.find("early"), std::string::npos) << out_;
  // Before the first record: one line, exit 1.
  EXPECT_EQ(run("history --db " + db_ + " procs --at -2h"), 1);
  EXPECT_EQ(lines(err_), 1u) << err_;
  EXPECT_NE(err_.find("no process list recorded"), std::string::npos) << err_;
}

TEST_F(HistoryCli, MarkThenSeeItInLoad) {
  ASSERT_EQ(run("history --db " + db_ + " mark new build deployed"), 0) << err_;
  EXPECT_NE(out_.find("new build deployed"), std::string::npos);
  ASSERT_EQ(run("history --db " + db_ + " load --from -5m --json"), 0) << err_;
  json h = json::parse(out_);
  ASSERT_EQ(h["marks"].size(), 1u);
  EXPECT_EQ(h["marks"][0]["label"], "new build deployed");
  EXPECT_EQ(run("history --db " + db_ + " mark " + std::string(201, 'x')), 2);
  EXPECT_EQ(run("history --db " + dir_ + "/absent.db mark x"), 1);
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/absent.db"));
}

TEST_F(HistoryCli, UsageErrorsAreOneLineExit2) {
  for (const char* args : {"history", "history --bogus", "history frobnicate", "history load --from yesterday",
                           "history load --points 1", "history load --from -1m --to -2m",
                           "history procs", "history load --node x"}) {
    EXPECT_EQ(run(std::string(args) + " --db " + db_), 2) << args;
    EXPECT_EQ(lines(err_), 1u) << args << ": " << err_;
    EXPECT_TRUE(out_.empty()) << args << ": " << out_;
  }
  EXPECT_EQ(run("history --help"), 0);
  EXPECT_NE(out_.find("usage: omx history"), std::string::npos);
  EXPECT_EQ(run("history load --help"), 0);
  EXPECT_NE(out_.find("--points"), std::string::npos);
}

// A user without write access to the directory reads a database no one has open (no -shm to
// share: read as immutable) and may not mark it (exit 3).
TEST_F(HistoryCli, ReadableByOtherUsers) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to run omx as another user";
  if (std::system("command -v setpriv >/dev/null") != 0) GTEST_SKIP() << "no setpriv";
  std::filesystem::permissions(dir_, std::filesystem::perms(0755));
  std::filesystem::permissions(db_, std::filesystem::perms(0644));
  ASSERT_FALSE(std::filesystem::exists(db_ + "-shm"));
  const std::string as_nobody = "--reuid=65534 --regid=65534 --clear-groups ";
  std::string saved = omx_;
  omx_ = "setpriv " + as_nobody + omx_;
  EXPECT_EQ(run("history --db " + db_ + " info --json"), 0) << err_;
  EXPECT_EQ(json::parse(out_.empty() ? "{}" : out_).value("samples", 0), 181);
  EXPECT_EQ(run("history --db " + db_ + " procs --at now --json"), 0) << err_;
  EXPECT_EQ(run("history --db " + db_ + " mark x"), 3) << err_;
  EXPECT_EQ(lines(err_), 1u) << err_;
  omx_ = saved;
}

TEST_F(HistoryCli, BadDatabaseIsOneLineExit1) {
  std::ofstream(dir_ + "/junk.db") << std::string(5000, 'j');
  EXPECT_EQ(run("history --db " + dir_ + "/junk.db info"), 1);
  EXPECT_EQ(lines(err_), 1u) << err_;
  EXPECT_NE(err_.find("junk.db"), std::string::npos) << err_;
  EXPECT_EQ(run("history --db " + dir_ + "/none.db load"), 1);
  EXPECT_EQ(lines(err_), 1u) << err_;
}

}  // namespace
}  // namespace omx::cli
