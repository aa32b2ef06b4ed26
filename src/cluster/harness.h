// The local cluster harness behind `omx cluster up|exec|down|status` (docs/design.md "Addresses,
// ports, control socket"): N omxd nodes on one machine, for tests, benchmarks and the demo.
//
// As root each node gets its own network namespace omx<c>n<i> (198.18.<c>.<i>/24 on a veth
// attached to bridge br0 in the hub namespace omx<c>hub; the host's namespace is not touched)
// and its own mount namespace with a private /tmp. Without root every node shares the host
// network namespace on 127.77.<c>.<i> with its own control socket @omx/omxd.<c>.<i>, and no
// private /tmp. <c> is the lowest free cluster index (cluster_registry.h), so clusters coexist.
//
// Everything made is recorded in DIR/cluster.json before it is made; tear_down (used by
// `down` and by a failed `up`) undoes whatever the record lists and ignores what is already
// gone, so it is idempotent and works after a crash at any point.
//
// Single-threaded (fork, setns); blocking.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "base/result.h"
#include "cluster/cluster_state.h"

namespace omx::cluster {

struct UpOptions {
  int nodes = 3;
  std::string dir;
  std::string omxd;  // empty: omxd next to the running executable, else on $PATH
  uint16_t port = 4660;
  bool discovery = true;
  std::vector<double> cpus;  // --cpu: per-node CPU quota (cpu_cgroup.h); empty: none  // omxd --discovery (namespaced clusters only: loopback nodes share a netns)
  std::chrono::milliseconds timeout{10000};  // for every omxd to become ready
  bool mfs = false;  // --mfs: every omxd mounts /mfs in its own mount namespace (root only)
  // --dashboard: every omxd serves the web dashboard (omxd --http) on kDashboardPort of its
  // loopback address; node 1 also runs the collector (history_path(), one sample a second).
  bool dashboard = false;
};

// Prints one line of information for the user (e.g. "not root: ...").
using Notify = std::function<void(const std::string&)>;

// Brings a cluster up; returns only when every omxd is ready. On failure everything made so far
// has been removed again and the error says what failed.
Result<ClusterState> cluster_up(const UpOptions& options, const Notify& notify);

struct DownResult {
  bool had_cluster = false;           // false: DIR held no cluster (nothing to do)
  std::vector<std::string> problems;  // what could not be undone (empty: all clean)
};

// Stops every omxd (SIGTERM, then SIGKILL), kills what is left in the node namespaces, removes
// the namespaces (and with them the veths and the bridge) and the index claim.
Result<DownResult> cluster_down(const std::string& dir);

// Undoes everything `state` lists; appends to problems what could not be undone.
void tear_down(ClusterState& state, std::vector<std::string>& problems);

struct NodeStatus {
  ClusterNode node;
  bool alive = false;  // its omxd runs (same pid and start time as recorded)
};

Result<ClusterState> cluster_status(const std::string& dir, std::vector<NodeStatus>* nodes);

// Runs argv as a process of node `node`: enters the namespaces of its omxd, sets OMX_CONTROL
// and execs argv in place of the calling process. A binary named by a path the node cannot see
// (under the host's /tmp) is still run, from a handle opened before entering. Returns only on
// failure; the error's err is the errno of execvp when the command itself could not be run.
Error cluster_exec(const std::string& dir, NodeId node, const std::vector<std::string>& argv);

}  // namespace omx::cluster
