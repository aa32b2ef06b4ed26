// omx::history::Collector with fake snapshot functions: samples are recorded on the interval,
// failures are counted (a failed process list still records the loads), stop() is prompt and
// idempotent, the destructor stops.
#include "history/collector.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

namespace omx::history {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

class TempDb {
 public:
  TempDb() {
    char tmpl[] = "/tmp/omx-collector-test.XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    auto s = Store::open(dir_ + "/h.db");
    EXPECT_TRUE(s.ok()) << s.error().message();
    store = std::move(*s);
  }
  ~TempDb() {
    store.reset();
    std::filesystem::remove_all(dir_);
  }
  std::unique_ptr<Store> store;

 private:
  std::string dir_;
};

json cluster() {
  return {{"self", 1}, {"time", 0},
          {"nodes", {{{"id", 1}, {"addr", "a"}, {"up", true}, {"load", 100}, {"mem_used", 5}, {"mem_total", 10}}}},
          {"cluster", json::object()}};
}
json procs() { return {{"time", 0}, {"processes", json::array()}, {"errors", json::array()}}; }

// Waits up to `limit` for pred().
template <typename F>
bool eventually(F pred, std::chrono::milliseconds limit = 5s) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return pred();
}

TEST(HistoryCollector, RecordsEveryInterval) {
  TempDb db;
  std::atomic<int> calls{0};
  Collector c(*db.store, 20ms, [&]() -> Result<json> { ++calls; return cluster(); },
              []() -> Result<json> { return procs(); });
  c.start();
  c.start();  // no second thread
  ASSERT_TRUE(eventually([&] { return c.stats().samples >= 5; }));
  c.stop();
  auto st = c.stats();
  EXPECT_EQ(st.failures, 0u);
  EXPECT_EQ(static_cast<uint64_t>(calls.load()), st.samples);
  EXPECT_EQ(db.store->info()["samples"].get<uint64_t>(), st.samples);
  EXPECT_TRUE(db.store->processes_at(db.store->info()["last"].get<int64_t>()).ok());
  // Stopped means stopped.
  std::this_thread::sleep_for(60ms);
  EXPECT_EQ(c.stats().samples, st.samples);
}

TEST(HistoryCollector, CountsFailures) {
  TempDb db;
  std::atomic<int> n{0};
  Collector c(*db.store, 10ms,
              [&]() -> Result<json> {
                if (++n % 2 == 0) return make_error(ErrorCode::kTimeout, "node 3");
                return cluster();
              },
              []() -> Result<json> { return make_error(ErrorCode::kInvalid, "no omxd"); });
  c.start();
  ASSERT_TRUE(eventually([&] { return c.stats().samples >= 3 && c.stats().failures >= 6; }));
  c.stop();
  auto st = c.stats();
  // Every cluster snapshot that worked was recorded (without processes), every one failed a
  // snapshot: odd calls fail the process list, even calls the cluster.
  EXPECT_EQ(st.samples, static_cast<uint64_t>((n + 1) / 2));
  EXPECT_EQ(st.failures, static_cast<uint64_t>(n.load()));
  EXPECT_FALSE(st.last_error.empty());
  EXPECT_EQ(db.store->info()["samples"].get<uint64_t>(), st.samples);
  EXPECT_FALSE(db.store->processes_at(INT64_MAX).ok());
}

TEST(HistoryCollector, StopIsPromptAndIdempotent) {
  TempDb db;
  Collector c(*db.store, 1h, [] () -> Result<json> { return cluster(); }, nullptr);
  c.start();
  ASSERT_TRUE(eventually([&] { return c.stats().samples == 1; }));  // the first sample is at once
  auto t0 = std::chrono::steady_clock::now();
  c.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
  c.stop();
  EXPECT_EQ(c.stats().samples, 1u);
}

TEST(HistoryCollector, DestructorStopsASlowSnapshot) {
  TempDb db;
  auto t0 = std::chrono::steady_clock::now();
  {
    Collector c(*db.store, 10ms,
                []() -> Result<json> {
                  std::this_thread::sleep_for(50ms);
                  return cluster();
                },
                nullptr);
    c.start();
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
}

TEST(HistoryCollector, RestartAfterStop) {
  TempDb db;
  Collector c(*db.store, 10ms, [] () -> Result<json> { return cluster(); }, nullptr);
  c.start();
  ASSERT_TRUE(eventually([&] { return c.stats().samples >= 1; }));
  c.stop();
  uint64_t before = c.stats().samples;
  c.start();
  ASSERT_TRUE(eventually([&] { return c.stats().samples > before; }));
}

}  // namespace
}  // namespace omx::history
