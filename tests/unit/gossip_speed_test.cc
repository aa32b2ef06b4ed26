// SpeedCalibration under a real CPU quota: a child process in a fresh cgroup with a quota of half
// a core (cgroup v2 cpu.max "50000 100000"; on a host whose cpu controller is still on cgroup v1,
// the same quota as cpu.cfs_quota_us 50000 / cpu.cfs_period_us 100000) must measure about half the
// speed of an unconstrained child measured in the same test. Runs are interleaved and the median
// of the per-pair ratios is checked against 0.35..0.7 (wide: this is a shared 2-core machine).
// Exits 77 (skipped) without root or without a cpu controller we can use.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
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
      if (sub.find("cpu") == std::string::npos) write_file(fs::path(root) / "cgroup.subtree_control", "+cpu");
      fs::path dir = fs::path(root) / name;
      if (mkdir(dir.c_str(), 0755) != 0) continue;
      if (write_file(dir / "cpu.max", "50000 100000")) return HalfCoreCgroup(dir, "cgroup v2 cpu.max");
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
  HalfCoreCgroup(HalfCoreCgroup&& o) noexcept : dir_(std::move(o.dir_)), kind_(o.kind_) { o.dir_.clear(); }
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

// Runs calibrate_speed() in a child process, optionally inside `cgroup`; returns its work rate.
double calibrate_in_child(const fs::path* cgroup) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    if (cgroup && !write_file(*cgroup / "cgroup.procs", std::to_string(getpid()))) _exit(3);
    Calibration c = calibrate_speed();
    double rate = c.chunks_per_second;
    ssize_t n = write(fds[1], &rate, sizeof rate);
    _exit(n == sizeof rate ? 0 : 4);
  }
  close(fds[1]);
  double rate = -1;
  ssize_t n = read(fds[0], &rate, sizeof rate);
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
  EXPECT_EQ(n, static_cast<ssize_t>(sizeof rate));
  return rate;
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
  for (int i = 0; i < 5; ++i) {
    double free_rate = calibrate_in_child(nullptr);
    double held_rate = calibrate_in_child(&cg->dir());
    ASSERT_GT(free_rate, 0);
    ASSERT_GT(held_rate, 0);
    ratios.push_back(held_rate / free_rate);
    std::printf("pair %d: unconstrained speed %u, half-core (%s) speed %u, ratio %.3f\n", i,
                speed_from_rate(free_rate), cg->kind(), speed_from_rate(held_rate), ratios.back());
  }
  std::sort(ratios.begin(), ratios.end());
  double median = ratios[ratios.size() / 2];
  std::printf("median ratio %.3f (expected about 0.5)\n", median);
  EXPECT_GE(median, 0.35);
  EXPECT_LE(median, 0.7);
}

}  // namespace
}  // namespace omx::gossip
