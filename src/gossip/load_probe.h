// LoadProbe: reads the real inputs of the load record from the kernel, kept apart from the
// arithmetic (load_meter.h) and the engine (gossip_engine.h), which never do I/O.
//
//   run queue       /proc/stat "procs_running" (all runnable tasks, system-wide, including the
//                   reader itself, which is subtracted); /proc/loadavg's "4/105" field as fallback
//   memory          /proc/meminfo MemTotal and MemAvailable (what can be had without swapping)
//   effective CPUs  min(CPUs in our affinity mask, the tightest CPU quota of our cgroup and its
//                   ancestors): cgroup v2 cpu.max "QUOTA PERIOD" ("max" = none), or cgroup v1
//                   cpu.cfs_quota_us / cpu.cfs_period_us (-1 = none)
//   utilizability   100 - memory pressure "full avg10" from /proc/pressure/memory (PSI: share of
//                   time all tasks were stalled on memory, i.e. the node is paging), 100 if no PSI
//
// Note for namespaced test clusters: /proc/stat counts the whole host, so nodes sharing a host
// see the same run queue; such a harness should count its node's cgroup instead.
//
// The parse_* functions are pure (text in, value out) and unit-tested; LoadProbe only reads files
// below a root directory ("/" normally; a fake tree in tests).
//
// Threading: plain functions; a LoadProbe is used by one thread at a time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace omx::gossip {

struct MemInfo {
  uint64_t total_kib = 0;
  uint64_t available_kib = 0;
};

Result<uint32_t> parse_procs_running(std::string_view proc_stat);
Result<uint32_t> parse_loadavg_running(std::string_view proc_loadavg);
Result<MemInfo> parse_meminfo(std::string_view proc_meminfo);
// cgroup v2 cpu.max: CPUs allowed ("50000 100000" -> 0.5), nullopt for "max ...".
Result<std::optional<double>> parse_cpu_max(std::string_view cpu_max);
// cgroup v1: cpu.cfs_quota_us and cpu.cfs_period_us contents; nullopt for quota -1.
Result<std::optional<double>> parse_cfs_quota(std::string_view quota, std::string_view period);
// /proc/pressure/memory -> utilizability percent (100 - full avg10, clamped to 0..100).
Result<uint8_t> parse_memory_pressure_util(std::string_view pressure);

// /proc/self/cgroup -> our cgroup's path: the v2 entry ("0::/a/b") when `v2`, otherwise the v1
// hierarchy whose controller list contains "cpu". nullopt when absent.
std::optional<std::string> parse_own_cgroup(std::string_view proc_self_cgroup, bool v2);

struct LoadInputs {
  uint32_t nr_running = 0;  // runnable tasks, the reader excluded
  MemInfo mem;
  double online_cpus = 1;       // in our affinity mask
  double effective_cpus = 1;    // min(online, cgroup quota)
  std::optional<double> quota;  // tightest cgroup CPU quota, if any
  uint8_t util = 100;
};

class LoadProbe {
 public:
  explicit LoadProbe(std::string root = "/") : root_(std::move(root)) {}

  // Counts only the runnable tasks of this process's own CPU cgroup instead of the machine's:
  // for nodes that share one machine, each in a cgroup of its own (omx cluster up --cpu passes
  // omxd --load-cgroup). Off by default: a real node's load is the whole machine's.
  void set_count_own_cgroup(bool on) { own_cgroup_ = on; }

  // Run queue only (sampled often; cheap).
  Result<uint32_t> read_nr_running() const;
  // Everything (once per period).
  Result<LoadInputs> read() const;
  // The tightest CPU quota on our cgroup path (v2 first, then v1), nullopt if none.
  std::optional<double> read_cpu_quota() const;

 private:
  std::string path(std::string_view p) const;
  std::optional<double> quota_along(const std::string& mount, const std::string& cg, bool v2) const;
  Result<uint32_t> read_cgroup_running() const;

  std::string root_;
  bool own_cgroup_ = false;
};

}  // namespace omx::gossip
