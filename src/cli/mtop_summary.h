// mtop's summary area, as top draws it (time, uptime, load average; Tasks; %Cpu(s); MiB Mem;
// MiB Swap) plus the cluster line (nodes up, cluster load) from omxd's `nodes` control op.
// The parsers take the text of /proc files and omxd's JSON reply, and the formatters take plain
// values, so unit tests check them with concrete numbers; reading the files is mtop_source's job.
//
// Threading: plain values and functions; no shared state.
#pragma once

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "mtop_view.h"

namespace omx::cli::mtop {

// The aggregate "cpu" line of /proc/stat, in clock ticks.
struct CpuTimes {
  uint64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  uint64_t total() const { return user + nice + system + idle + iowait + irq + softirq + steal; }
};

struct MemInfo {  // KiB, from /proc/meminfo
  uint64_t total = 0, free = 0, available = 0, buff_cache = 0, swap_total = 0, swap_free = 0;
};

struct SystemSample {
  std::time_t now = 0;
  double uptime_s = 0;
  double load[3] = {0, 0, 0};
  CpuTimes cpu;
  MemInfo mem;
};

std::optional<CpuTimes> parse_proc_stat(std::string_view text);
MemInfo parse_meminfo(std::string_view text);  // missing keys stay 0
bool parse_loadavg(std::string_view text, double load[3]);

struct TaskCounts {
  int total = 0, running = 0, sleeping = 0, stopped = 0, zombie = 0;
};
TaskCounts count_tasks(const std::vector<Proc>& procs);

struct NodeInfo {
  uint32_t id = 0;
  bool up = false;
  bool self = false;
  std::optional<int64_t> load;  // openMosix units: 100 = one standard CPU busy
  uint32_t ncpus = 0;
  uint64_t mem_total = 0, mem_free = 0;  // bytes
};
struct ClusterInfo {
  bool answered = false;  // omxd answered the `nodes` request
  uint32_t self = 0;
  std::vector<NodeInfo> nodes;
};
// omxd's reply to {"op":"nodes"}: {"ok":true,"node":1,"nodes":[{"id":1,"state":"up",...}]}.
ClusterInfo parse_nodes_reply(const nlohmann::json& reply);

// "up 8:39", "up 5 min", "up 3 days,  8:39" (top's format).
std::string format_uptime(double seconds);

// The six summary lines. `prev` (the previous sample, or null) gives the %Cpu(s) deltas.
std::vector<std::string> summary_lines(const SystemSample& now, const SystemSample* prev,
                                       const TaskCounts& tasks, const ClusterInfo& cluster);
std::string cpu_line(const CpuTimes& now, const CpuTimes* prev);
std::string cluster_line(const ClusterInfo& c);

}  // namespace omx::cli::mtop
