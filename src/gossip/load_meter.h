// LoadMeter: the openMosix/MOSIX node load (reference §4.2, constants §7), as pure arithmetic fed
// with run-queue samples. Reading the real inputs is load_probe.h's job, kept apart so this can be
// tested with vectors written by hand and driven by the simulator.
//
// Per sample, nr_running (runnable tasks, not counting the sampler) is added to an accumulator.
// Once a period's worth of samples is in (samples_per_period; the daemon samples every 100 ms,
// so a period is one second as in MOSIX, where CF = HZ ticks):
//
//   load        = accum * kLoadPerProcess / samples      one always-runnable task = 100
//   scaled      = load * kMeanLoadScale (128)
//   mean_load   = scaled > mean ? (5*mean + 3*scaled) / 8 : scaled     rises slowly, falls at once
//   upper_load  = load >= upper ? load : (7*upper + load) / 8          rises at once, falls slowly
//   mean_load() = (mean + 64) / 128                                     (back to load units)
//
// kLoadPerProcess = 100 is openMosix's unit: its kernels ran at HZ = 100 and accumulated once per
// tick, so a single CPU-bound process gave load 100. upper_load is what a node exports to others
// (so a node that just got busy is seen as busy at once); mean_load is used locally.
//
// Normalisation (load_norm = load * STD / speed, reference §4.2): a faster node looks less
// loaded. `speed` is the per-CPU speed (SpeedCalibration measures one thread), and an SMP node
// divides by its CPUs: capacity = speed * max(1, effective_cpus). A cgroup quota below one CPU is
// already in the measured speed, so it is not divided by again (hence the max with 1).
//
// Also the per-process figures of the same source, for the balancer: process_load (5:3, per
// second, from ticks run scaled to kLoadPerProcess) and cpu_use (3:1, rounded up).
//
// Threading: plain value; one owner.
#pragma once

#include <cstdint>

namespace omx::gossip {

inline constexpr uint32_t kLoadPerProcess = 100;
inline constexpr uint64_t kMeanLoadScale = 128;

// One smoothing step each, exactly as the reference (integer arithmetic, truncating).
uint64_t next_mean_load(uint64_t old_scaled, uint64_t new_scaled);
uint64_t next_upper_load(uint64_t old_load, uint64_t new_load);
uint64_t next_process_load(uint64_t old_load, uint64_t new_load);  // (5*old + 3*new) / 8
uint64_t next_cpu_use(uint64_t old_use, uint64_t new_use);         // ceil((3*old + new) / 4)

// load * kStdSpeed / (speed * max(1, effective_cpus)), rounded to nearest; saturates at u32 max.
uint32_t normalized_load(uint64_t load, uint32_t speed, double effective_cpus);

class LoadMeter {
 public:
  explicit LoadMeter(uint32_t samples_per_period = 10) : samples_per_period_(samples_per_period) {}

  // Adds one run-queue sample. Returns true when it completed a period (values updated).
  bool sample(uint32_t nr_running);
  // Ends the period early with whatever samples there are (false, and nothing changes, if none).
  bool finish_period();

  uint64_t period_load() const { return period_load_; }  // last period's raw load
  uint64_t mean_load_scaled() const { return mean_scaled_; }
  uint64_t mean_load() const { return (mean_scaled_ + kMeanLoadScale / 2) / kMeanLoadScale; }
  uint64_t upper_load() const { return upper_; }
  uint64_t periods() const { return periods_; }

 private:
  uint32_t samples_per_period_;
  uint64_t accum_ = 0;
  uint32_t samples_ = 0;
  uint64_t period_load_ = 0;
  uint64_t mean_scaled_ = 0;
  uint64_t upper_ = 0;
  uint64_t periods_ = 0;
};

}  // namespace omx::gossip
