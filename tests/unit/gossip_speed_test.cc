// SpeedCalibration under a real CPU quota: a child process in a fresh cgroup with a quota of half
// a core (cgroup v2 cpu.max "50000 100000"; on a host whose cpu controller is still on cgroup v1,
// the same quota as cpu.cfs_quota_us 50000 / cpu.cfs_period_us 100000) must measure about half the
// speed of an unconstrained child measured in the same test. Runs are interleaved and the median
// of the per-pair ratios is checked against 0.35..0.7 (wide: this is a shared 2-core machine).
//
// A pair counts only if the unconstrained child actually had a core: CPU time / wall time >= 0.8
// over its calibration. On a saturated host (other tenants' sessions are fair-shared against ours
// by autogroup, so even nice -20 gets half a core) an unconstrained process runs at half speed too,
// a half-core quota no longer binds, and the ratio is ~1 for physical reasons, not because the
// calibration is wrong. Up to 20 pairs are tried for 3 good ones; if the host never gives a free
// process a core, the test exits 77 (skipped) saying so, rather than pass or fail on noise.
// Exits 77 (skipped) without root or without a cpu controller we can use.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "gossip/speed_calibration.h"

namespace omx::gossip {
namespace {

namespace fs = std::filesystem;

bool write_file(const fs::path& p, const std::string& text) {
  std::ofstream f(p);
  f << text;
  f.flush();
  return static_cast<bool>(f);
}

std::string read_file(const fs::path& p) {
  std::ifstream f(p);
  std::string s((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  return s;
}

// A child cgroup with a CPU quota of half a core; removed in the destructor.
class HalfCoreCgroup {
 public:
  static std::optional<HalfCoreCgroup> create(std::string* why) {
    if (geteuid() != 0) {
      *why = "needs root to create a cgroup";
      return std::nullopt;
    }
    std::string name = "omx-speed-test-" + std::to_string(getpid());
    // cgroup v2 with the cpu controller (at /sys/fs/cgroup or the hybrid /sys/fs/cgroup/unified).
    for (const char* root : {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"}) {
      std::string ctrls = read_file(fs::path(root) / "cgroup.controllers");
      if (ctrls.find("cpu") == std::string::npos) continue;
      std::string sub = read_file(fs::path(root) / "cgroup.subtree_control");
      if (sub.find("cpu") == std::string::npos)
        write_file(fs::path(root) / "cgroup.subtree_control", "+cpu");
      fs::path dir = fs::path(root) / name;
      if (mkdir(dir.c_str(), 0755) != 0) continue;
      if (write_file(dir / "cpu.max", "50000 100000"))
        return HalfCoreCgroup(dir, "cgroup v2 cpu.max");
      rmdir(dir.c_str());
    }
    // cgroup v1 cpu controller.
    for (const char* root : {"/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpu,cpuacct"}) {
      fs::path dir = fs::path(root) / name;
      if (!fs::exists(fs::path(root) / "cpu.cfs_quota_us")) continue;
      if (mkdir(dir.c_str(), 0755) != 0) continue;
      if (write_file(dir / "cpu.cfs_period_us", "100000") &&
          write_file(dir / "cpu.cfs_quota_us", "50000")) {
        return HalfCoreCgroup(dir, "cgroup v1 cpu.cfs_quota_us");
      }
      rmdir(dir.c_str());
    }
    *why = "no usable cgroup cpu controller (v2 cpu.max or v1 cpu.cfs_quota_us)";
    return std::nullopt;
  }
  HalfCoreCgroup(HalfCoreCgroup&& o) noexcept : dir_(std::move(o.dir_)), kind_(o.kind_) {
    o.dir_.clear();
  }
  ~HalfCoreCgroup() {
    if (!dir_.empty()) rmdir(dir_.c_str());  // empty by then: the child has exited
  }
  const fs::path& dir() const { return dir_; }
  const char* kind() const { return kind_; }

 private:
  HalfCoreCgroup(fs::path dir, const char* kind) : dir_(std::move(dir)), kind_(kind) {}
  fs::path dir_;
  const char* kind_;
};

struct ChildRun {
  double rate = -1;      // chunks per wall second
  double cpu_share = 0;  // thread CPU time / wall time during the calibration
};

double thread_cpu_seconds() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

double wall_seconds() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

// Runs calibrate_speed() in a child process, optionally inside `cgroup`.
ChildRun calibrate_in_child(const fs::path* cgroup) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    if (cgroup && !write_file(*cgroup / "cgroup.procs", std::to_string(getpid()))) _exit(3);
    double c0 = thread_cpu_seconds(), w0 = wall_seconds();
    Calibration c = calibrate_speed();
    ChildRun run{c.chunks_per_second, (thread_cpu_seconds() - c0) / (wall_seconds() - w0)};
    ssize_t n = write(fds[1], &run, sizeof run);
    _exit(n == sizeof run ? 0 : 4);
  }
  close(fds[1]);
  ChildRun run;
  ssize_t n = read(fds[0], &run, sizeof run);
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
  EXPECT_EQ(n, static_cast<ssize_t>(sizeof run));
  return run;
}

TEST(SpeedCalibration, HalfCoreQuotaReportsAboutHalfSpeed) {
  std::string why;
  auto cg = HalfCoreCgroup::create(&why);
  if (!cg) {
    // ctest counts a GTEST_SKIP as a pass; exit 77 is reported as skipped (SKIP_RETURN_CODE).
    std::fprintf(stderr, "skipped: %s\n", why.c_str());
    std::fflush(nullptr);
    _exit(77);
  }
  std::vector<double> ratios;
  for (int i = 0; i < 20 && ratios.size() < 3; ++i) {
    ChildRun free_run = calibrate_in_child(nullptr);
    ChildRun held_run = calibrate_in_child(&cg->dir());
    ASSERT_GT(free_run.rate, 0);
    ASSERT_GT(held_run.rate, 0);
    double ratio = held_run.rate / free_run.rate;
    bool counted = free_run.cpu_share >= 0.8;
    std::printf(
        "pair %d: unconstrained speed %u (cpu share %.2f), half-core (%s) speed %u (cpu share "
        "%.2f), ratio %.3f%s\n",
        i, speed_from_rate(free_run.rate), free_run.cpu_share, cg->kind(),
        speed_from_rate(held_run.rate), held_run.cpu_share, ratio,
        counted ? "" : "  (not counted: the host did not give the free run a core)");
    if (counted) ratios.push_back(ratio);
  }
  if (ratios.size() < 3) {
    std::fprintf(stderr,
                 "skipped: host too busy: an unconstrained process never got 80%% of a core\n");
    std::fflush(nullptr);
    _exit(77);
  }
  std::sort(ratios.begin(), ratios.end());
  double median = ratios[ratios.size() / 2];
  std::printf("median ratio %.3f (expected about 0.5)\n", median);
  EXPECT_GE(median, 0.35);
  EXPECT_LE(median, 0.7);
}

}  // namespace
}  // namespace omx::gossip
