// ClusterSource: the data behind the read routes, fetched from omxd and the nodes, with short
// caches so that many browsers do not multiply the work.
//
//  * cluster(): omxd's `nodes` op -> Cluster (cluster_view.h); cached kClusterCache.
//  * processes(): every up node's `omx ps --json` in parallel: this node's is listed here
//    (procinfo::list_processes, as `omx ps` does), the others' through the runner as root.
//    Nodes that do not answer by the deadline (~1.5 s) are listed in "errors" and their
//    processes are missing, never stale. One row per process, from its home node (guest rows
//    are left to guests()). Cached kProcessesCache; concurrent callers of a stale
//    cache wait for one refresh instead of starting their own.
//  * guests(node): that node's processes that are guests there.
//  * migrations(): this node's counters by direction (omxd's op "migrations").
//
// Threading: every method is thread-safe and blocking (call from HTTP worker threads or the
// event producer, never from an event loop).
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "dashboard/node_runner.h"

namespace omx::dashboard {

inline constexpr std::chrono::milliseconds kClusterCache{500};
inline constexpr std::chrono::milliseconds kProcessesCache{1000};
inline constexpr std::chrono::milliseconds kNodeDeadline{1500};

class ClusterSource {
 public:
  ClusterSource(std::string control, NodeRunner runner);

  Result<nlohmann::json> cluster();
  Result<nlohmann::json> processes();
  // kInvalid: not in the map (404); kSys/kTimeout: the node did not answer (502).
  Result<nlohmann::json> guests(uint32_t node);
  nlohmann::json migrations();
  // The node an action goes to (from the map as omxd sees it); kInvalid when not in the map.
  Result<Target> target(uint32_t node);
  uint32_t self_node();
  const std::string& control() const { return control_; }

 private:
  Result<nlohmann::json> fetch_cluster();
  Result<nlohmann::json> node_processes(const Target& t);
  nlohmann::json fetch_processes(const nlohmann::json& nodes_reply);  // omxd's `nodes` reply

  std::string control_;
  NodeRunner runner_;
  std::mutex cluster_mu_, processes_mu_;
  std::optional<nlohmann::json> cluster_cache_, processes_cache_;
  std::chrono::steady_clock::time_point cluster_at_, processes_at_;
};

}  // namespace omx::dashboard
