// SpeedCalibration: the node's relative CPU speed (MOSIX/openMosix `speed`, standard 10000),
// measured once at start-up by a short work loop, and overridable (mosctl setspeed N).
//
// Method. A fixed integer work chunk (a dependent multiply/xor-shift chain: no memory traffic,
// no system calls, no vectorisation possible) is repeated for a wall-clock window, and the speed
// is the number of chunks completed per second of *wall-clock* time, relative to the reference
// rate:  speed = kStdSpeed * chunks_per_wall_second / kReferenceChunksPerSecond.
// Wall-clock, not CPU time, is what makes a CPU quota visible: a process in a cgroup with
// cpu.max "50000 100000" runs at full speed for 50 ms of every 100 ms period and is then
// throttled, so its CPU-time rate is that of a full core while its wall-clock rate is half.
//
// The loop notes the time each chunk completes and each resumption after a pause of at least
// kThrottleGap (a chunk normally takes a few microseconds). The rate is the most work done in one
// CFS bandwidth period P (default 100 ms, the kernel's default cpu.max period), divided by P:
//  * under a quota, a throttled task resumes exactly when the period timer refills the quota, so
//    resumptions a whole number of periods apart (within 1 ms) mark the period boundaries; the
//    spans measured are then whole periods *aligned on those boundaries*, and each such period
//    holds at most the quota's run time however the task was delayed (an unaligned span could
//    hold the end of one period's allowance and the start of the next's, up to twice the quota,
//    after a delay by other tenants; and a task that just joined its cgroup starts with a full
//    allowance mid-period). Without two such resumptions, the resumption after the longest
//    pause of at least P / 10 is taken as the boundary;
//  * without such pauses (no quota, or a quota of a whole core or more), the best span of length
//    P anywhere in the window;
//  * other tenants preempting us lower some periods, not all: taking the best period measures the
//    CPU this node can give a process, not how busy it happens to be (that is the load's job).
//    For the same reason the calibrating thread runs at nice -20 while it measures (when it may:
//    root or CAP_SYS_NICE; restored afterwards): CFS then gives it nearly a whole core against
//    nice-0 neighbours, while a cgroup CPU quota still throttles it (bandwidth control does not
//    depend on priority).
// Without a pause early enough to leave a whole period after it, spans start at the beginning.
//
// The reference (kReferenceChunksPerSecond) is one unthrottled core of the machine omx was
// developed on (AMD EPYC, 2026; see the value's comment): that core is the "standard processor"
// with speed 10000, as openMosix once chose a Pentium III (reference §4.2). Only ratios between
// nodes matter to the balancer, and every node runs the same loop.
//
// A node shared with other busy tasks measures less than its hardware speed; that is intended:
// it is the speed a migrated process would get there. Noise of a few percent is normal.
//
// Threading: calibrate_speed() runs on the calling thread and blocks for about window + warm-up.
// NodeSpeed is a plain value.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

namespace omx::gossip {

// Chunks per second of one core of the reference machine (measured 2026-11-21 on the AMD EPYC
// build host, best of 20 unthrottled 200 ms windows on an idle host; busy hosts measure less).
inline constexpr double kReferenceChunksPerSecond = 148000.0;

struct CalibrationOptions {
  std::chrono::milliseconds window{200};
  std::chrono::milliseconds warmup{10};
  std::chrono::milliseconds period{100};  // CFS bandwidth period (cpu.max second field)
  bool boost_priority = true;             // nice -20 during the measurement, if permitted
};

struct Calibration {
  uint32_t speed = 0;            // kStdSpeed-relative; at least 1
  double chunks_per_second = 0;  // wall-clock work rate
  uint64_t chunks = 0;
  std::chrono::nanoseconds wall{0};  // the span the rate was measured over (one period)
  int resumptions = 0;               // pauses >= kThrottleGap seen (throttling or preemption)
};

inline constexpr std::chrono::milliseconds kThrottleGap{4};

Calibration calibrate_speed(const CalibrationOptions& options = {});

// Converts a wall-clock work rate to a speed (pure; used by calibrate_speed and tests).
uint32_t speed_from_rate(double chunks_per_second);

// The speed a node reports: the measured one unless an administrator set one (mosctl setspeed).
class NodeSpeed {
 public:
  explicit NodeSpeed(uint32_t measured = 0) : measured_(measured) {}
  void set_measured(uint32_t s) { measured_ = s; }
  void set_override(uint32_t s) { override_ = s; }  // mosctl setspeed N (N >= 1)
  void clear_override() { override_.reset(); }
  uint32_t measured() const { return measured_; }
  std::optional<uint32_t> override_value() const { return override_; }
  uint32_t effective() const { return override_ ? *override_ : measured_; }

 private:
  uint32_t measured_;
  std::optional<uint32_t> override_;
};

}  // namespace omx::gossip
