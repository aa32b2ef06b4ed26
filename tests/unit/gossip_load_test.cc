// LoadMeter (openMosix/MOSIX load arithmetic, reference §4.2) with vectors written here, and the
// pure parsers of LoadProbe; plus LoadProbe on a fake /proc tree.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "gossip/load_meter.h"
#include "gossip/load_probe.h"
#include "gossip/load_record.h"
#include "gossip/speed_calibration.h"

namespace omx::gossip {
namespace {

TEST(LoadMeter, MeanRisesSlowlyFallsAtOnce) {
  // scaled values (x128): rise 0 -> 12800 takes 5:3 steps, a fall is taken at once.
  EXPECT_EQ(next_mean_load(0, 12800), 4800u);     // (5*0 + 3*12800) / 8
  EXPECT_EQ(next_mean_load(4800, 12800), 7800u);  // (24000 + 38400) / 8
  EXPECT_EQ(next_mean_load(7800, 12800), 9675u);  // (39000 + 38400) / 8
  EXPECT_EQ(next_mean_load(9675, 100), 100u);     // falls at once
  EXPECT_EQ(next_mean_load(500, 500), 500u);      // equal: taken as is
  EXPECT_EQ(next_mean_load(3, 4), 3u);            // (15 + 12) / 8 = 3, truncating
}

TEST(LoadMeter, UpperRisesAtOnceFallsSlowly) {
  EXPECT_EQ(next_upper_load(0, 100), 100u);
  EXPECT_EQ(next_upper_load(100, 100), 100u);
  EXPECT_EQ(next_upper_load(100, 0), 87u);  // (700 + 0) / 8 = 87
  EXPECT_EQ(next_upper_load(87, 0), 76u);   // 609 / 8
  EXPECT_EQ(next_upper_load(76, 20), 69u);  // (532 + 20) / 8
  EXPECT_EQ(next_upper_load(69, 300), 300u);
}

TEST(LoadMeter, PerProcessFigures) {
  EXPECT_EQ(next_process_load(0, 100), 37u);   // (0 + 300) / 8
  EXPECT_EQ(next_process_load(37, 100), 60u);  // (185 + 300) / 8
  EXPECT_EQ(next_cpu_use(0, 1), 1u);           // ceil(1 / 4)
  EXPECT_EQ(next_cpu_use(4, 0), 3u);           // ceil(12 / 4)
  EXPECT_EQ(next_cpu_use(10, 2), 8u);          // ceil(32 / 4)
}

TEST(LoadMeter, PeriodLoadIsAccumulatedRunQueueScaledTo100PerProcess) {
  LoadMeter m(10);
  // 10 samples: 1,1,1,1,1,2,2,2,2,2 runnable -> average 1.5 -> load 150.
  for (int i = 0; i < 9; ++i) EXPECT_FALSE(m.sample(i < 5 ? 1 : 2));
  EXPECT_TRUE(m.sample(2));
  EXPECT_EQ(m.period_load(), 150u);
  EXPECT_EQ(m.mean_load_scaled(), (0 + 3 * 150 * 128) / 8);  // 7200
  EXPECT_EQ(m.mean_load(), (7200u + 64) / 128);              // 56
  EXPECT_EQ(m.upper_load(), 150u);
  EXPECT_EQ(m.periods(), 1u);
}

TEST(LoadMeter, StepUpThenIdleSequence) {
  // One CPU-bound process appears for 4 s, then the node goes idle for 3 s.
  LoadMeter m(4);
  struct Want {
    uint64_t mean, upper;
  };
  // mean (x128 internally): 4800, 7800, 9675, 10846 (/128 rounded: 38, 61, 76, 85), then 0.
  // upper: 100 at once, then 87, 76, 66.
  const Want want[] = {{38, 100}, {61, 100}, {76, 100}, {85, 100}, {0, 87}, {0, 76}, {0, 66}};
  for (int sec = 0; sec < 7; ++sec) {
    uint32_t running = sec < 4 ? 1 : 0;
    for (int s = 0; s < 4; ++s) m.sample(running);
    EXPECT_EQ(m.mean_load(), want[sec].mean) << "second " << sec;
    EXPECT_EQ(m.upper_load(), want[sec].upper) << "second " << sec;
  }
}

TEST(LoadMeter, FinishPeriodEarlyUsesSamplesTaken) {
  LoadMeter m(10);
  EXPECT_FALSE(m.finish_period());
  m.sample(3);
  m.sample(1);
  EXPECT_TRUE(m.finish_period());
  EXPECT_EQ(m.period_load(), 200u);
}

TEST(LoadMeter, NormalisationBySpeedAndCpus) {
  EXPECT_EQ(normalized_load(100, kStdSpeed, 1), 100u);
  EXPECT_EQ(normalized_load(100, 20000, 1), 50u);    // twice as fast looks half as loaded
  EXPECT_EQ(normalized_load(100, 5000, 1), 200u);    // e.g. half a core by quota
  EXPECT_EQ(normalized_load(400, 10000, 4), 100u);   // four CPUs
  EXPECT_EQ(normalized_load(100, 5000, 0.5), 200u);  // quota < 1 is in the speed already
  EXPECT_EQ(normalized_load(100, 0, 1), 1000000u);   // speed 0 treated as 1
  EXPECT_EQ(normalized_load(UINT64_MAX / 2, 1, 1), UINT32_MAX);
}

TEST(LoadProbe, ParsesProcFiles) {
  EXPECT_EQ(*parse_procs_running("cpu  1 2 3\nintr 5\nprocs_running 7\nprocs_blocked 0\n"), 7u);
  EXPECT_FALSE(parse_procs_running("cpu 1\n").ok());
  EXPECT_FALSE(parse_procs_running("procs_running x\n").ok());
  EXPECT_EQ(*parse_loadavg_running("1.43 1.30 1.22 4/105 17700\n"), 4u);
  EXPECT_FALSE(parse_loadavg_running("1.0 2.0\n").ok());
  auto mi =
      parse_meminfo("MemTotal:       24000000 kB\nMemFree:  100 kB\nMemAvailable:   20000000 kB\n");
  ASSERT_TRUE(mi.ok());
  EXPECT_EQ(mi->total_kib, 24000000u);
  EXPECT_EQ(mi->available_kib, 20000000u);
  EXPECT_FALSE(parse_meminfo("MemFree: 1 kB\n").ok());
}

TEST(LoadProbe, ParsesCgroupQuotas) {
  EXPECT_DOUBLE_EQ(**parse_cpu_max("50000 100000\n"), 0.5);
  EXPECT_DOUBLE_EQ(**parse_cpu_max("200000 100000"), 2.0);
  EXPECT_FALSE(parse_cpu_max("max 100000\n")->has_value());
  EXPECT_FALSE(parse_cpu_max("max\n").ok());
  EXPECT_FALSE(parse_cpu_max("10 0\n").ok());
  EXPECT_DOUBLE_EQ(**parse_cfs_quota("25000\n", "100000\n"), 0.25);
  EXPECT_FALSE(parse_cfs_quota("-1\n", "100000\n")->has_value());
  EXPECT_FALSE(parse_cfs_quota("x", "100000").ok());
  EXPECT_EQ(*parse_own_cgroup("0::/user.slice/a\n", true), "/user.slice/a");
  EXPECT_EQ(*parse_own_cgroup("4:memory:/m\n2:cpu,cpuacct:/c\n0::/\n", false), "/c");
  EXPECT_FALSE(parse_own_cgroup("4:memory:/m\n", false).has_value());
  EXPECT_EQ(*parse_memory_pressure_util("some avg10=5.00 avg60=0 avg300=0 total=1\n"
                                        "full avg10=12.40 avg60=0.00 avg300=0.00 total=9\n"),
            88u);
  EXPECT_FALSE(parse_memory_pressure_util("some avg10=1\n").ok());
}

TEST(LoadProbe, ReadsAFakeTree) {
  namespace fs = std::filesystem;
  fs::path root = fs::temp_directory_path() / ("omx-probe-" + std::to_string(getpid()));
  auto put = [&](const std::string& rel, const std::string& text) {
    fs::create_directories((root / rel).parent_path());
    std::ofstream(root / rel) << text;
  };
  put("proc/stat", "cpu 0\nprocs_running 3\n");
  put("proc/meminfo", "MemTotal: 2048 kB\nMemAvailable: 1024 kB\n");
  put("proc/self/cgroup", "0::/a/b\n");
  put("sys/fs/cgroup/a/cpu.max", "150000 100000\n");
  put("sys/fs/cgroup/a/b/cpu.max", "max 100000\n");
  put("proc/pressure/memory", "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n");
  LoadProbe p(root.string());
  auto in = p.read();
  ASSERT_TRUE(in.ok()) << in.error().message();
  EXPECT_EQ(in->nr_running, 2u);  // the reader itself is not load
  EXPECT_EQ(in->mem.total_kib, 2048u);
  ASSERT_TRUE(in->quota.has_value());
  EXPECT_DOUBLE_EQ(*in->quota, 1.5);  // the parent's quota limits the child
  EXPECT_LE(in->effective_cpus, 1.5);
  EXPECT_EQ(in->util, 100u);
  fs::remove_all(root);
}

TEST(LoadProbe, ReadsThisMachine) {
  LoadProbe p;
  auto in = p.read();
  ASSERT_TRUE(in.ok()) << in.error().message();
  EXPECT_GT(in->mem.total_kib, 0u);
  EXPECT_GE(in->online_cpus, 1.0);
  EXPECT_GT(in->effective_cpus, 0.0);
}

TEST(NodeSpeed, OverrideWins) {
  NodeSpeed s(8000);
  EXPECT_EQ(s.effective(), 8000u);
  s.set_override(3000);  // mosctl setspeed 3000
  EXPECT_EQ(s.effective(), 3000u);
  s.set_measured(9000);
  EXPECT_EQ(s.effective(), 3000u);
  s.clear_override();
  EXPECT_EQ(s.effective(), 9000u);
}

TEST(SpeedCalibration, ReferenceRateIsStandardSpeed) {
  EXPECT_EQ(speed_from_rate(kReferenceChunksPerSecond), kStdSpeed);
  EXPECT_EQ(speed_from_rate(kReferenceChunksPerSecond / 2), kStdSpeed / 2);
  EXPECT_EQ(speed_from_rate(0), 1u);
  auto c = calibrate_speed({std::chrono::milliseconds(50), std::chrono::milliseconds(5)});
  EXPECT_GT(c.chunks, 0u);
  EXPECT_GE(c.wall, std::chrono::milliseconds(50));
  EXPECT_GT(c.speed, 0u);
}

}  // namespace
}  // namespace omx::gossip
