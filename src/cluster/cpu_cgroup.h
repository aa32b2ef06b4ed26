// Per-node CPU quotas for the local cluster (`omx cluster up --cpu Q1,Q2,...`): each node gets a
// cgroup of its own under the CPU controller, capped at Q CPUs (0.5 = half a core), holding its
// omxd and so every process of the node (guests, `omx cluster exec` commands), so nodes differ
// in speed as the thesis' machines did. Works with cgroup v1 (cpu.cfs_quota_us, as on this dev
// machine) and v2 (cpu.max); the group is <controller root>/omx/c<index>/n<id>.
//
// Pure helpers plus file writes; thread-safe.
#pragma once

#include <string>
#include <sys/types.h>
#include <vector>

#include "base/result.h"

namespace omx::cluster {

inline constexpr long kCpuPeriodUs = 100000;

// "1,0.5,0.25" -> {1, 0.5, 0.25}; each in (0, 64]. One value applies to every node.
Result<std::vector<double>> parse_cpu_list(const std::string& text, int nodes);

// Where the CPU controller is mounted, and whether it is cgroup v2.
struct CpuController {
  std::string root;
  bool v2 = false;
};
Result<CpuController> find_cpu_controller();

// Creates (or reuses) the node's group with the quota; returns its path.
Result<std::string> make_node_cgroup(const CpuController& c, int cluster_index, uint32_t node,
                                     double cpus);
// Moves `pid` (0: the caller) into the group at `path`.
Status join_cgroup(const std::string& path, pid_t pid = 0);
// Removes the group (empty by now) and its cluster directory if that is empty too.
Status remove_node_cgroup(const std::string& path);

}  // namespace omx::cluster
