// ClusterState: everything `omx cluster up` made for one local cluster, as recorded in
// DIR/cluster.json, so that exec, status and down can find it again from a fresh process. up
// writes it before it creates anything and rewrites it after every step, so down can undo a
// bring-up that stopped halfway (the harness crashed, a node failed to start).
//
// Also the naming scheme of docs/design.md "Addresses, ports, control socket": cluster index c,
// node i -> netns omx<c>n<i>, address 198.18.<c>.<i>/24 on eth0, veth n<i> on bridge br0 in the
// hub netns omx<c>hub; without root 127.77.<c>.<i> in the host netns and control socket
// @omx/omxd.<c>.<i>.
//
// Plain data and file I/O; not thread-affine.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "cluster/node_map.h"

namespace omx::cluster {

enum class ClusterMode : int {
  kNamespaces = 0,  // root: one netns + mount ns per node
  kHost = 1,        // not root: every node in the host netns on 127.77.c.i
};

inline constexpr int kMaxClusterIndex = 255;
inline constexpr int kMaxClusterNodes = 254;
inline constexpr int kPrefixLen = 24;
inline constexpr const char kBridgeName[] = "br0";
inline constexpr const char kNodeIfName[] = "eth0";
inline constexpr const char kClusterFile[] = "cluster.json";
inline constexpr const char kMapFile[] = "openmosix.map";
inline constexpr const char kKeyFile[] = "cluster.key";
// omx cluster up --mfs: each node mounts /mfs in its own mount namespace; the empty directory
// is created on the host once if missing (the mount point must exist in every namespace).
inline constexpr const char kMfsMountPoint[] = "/mfs";
// omx cluster up --dashboard: each node's dashboard listens on its loopback address (127.0.0.1
// in its own namespace; its 127.77.<c>.<i> node address in host mode) at this port; node 1's
// collector writes history_path().
inline constexpr uint16_t kDashboardPort = 8750;
inline constexpr const char kHistoryFile[] = "history.db";

std::string hub_netns_name(int index);
std::string node_netns_name(int index, NodeId node);
std::string hub_veth_name(NodeId node);  // the hub end of node's veth pair
Ipv4 node_address(ClusterMode mode, int index, NodeId node);
std::string node_control_address(ClusterMode mode, int index, NodeId node);

struct ClusterNode {
  NodeId id = 0;
  Ipv4 addr;
  std::string control;      // control socket address of its omxd
  std::string netns;        // named netns; empty in host mode
  pid_t pid = 0;            // its omxd; 0 until started
  uint64_t start_time = 0;  // /proc/PID/stat starttime of that omxd (guards against pid reuse)
  uint64_t netns_inode = 0; // nsfs inodes of the node's namespaces (0 when none/unknown)
  uint64_t mntns_inode = 0;
  std::string cgroup;       // its CPU-quota cgroup (omx cluster up --cpu); empty: none

  std::string dir_name() const { return "node" + std::to_string(id); }  // DIR/node<i>
};

struct ClusterState {
  std::string dir;          // absolute
  int index = -1;
  ClusterMode mode = ClusterMode::kHost;
  uint16_t port = 4660;
  bool discovery = false;  // nodes run omxd --discovery
  bool mfs = false;        // nodes run omxd --mfs-mount /mfs (omx cluster up --mfs)
  bool dashboard = false;  // nodes run omxd --http (omx cluster up --dashboard)
  std::string hub_netns;    // empty in host mode
  std::string omxd;         // the omxd binary started
  std::string registry;     // the index claim file (cluster_registry.h)
  std::string phase = "starting";  // "starting" until every node is ready, then "up"
  std::vector<ClusterNode> nodes;

  ClusterNode* find(NodeId id);
  std::string path(const std::string& name) const { return dir + "/" + name; }
};

std::string mode_name(ClusterMode mode);
// "ADDR:PORT" of node n's dashboard (--dashboard), as seen from inside the node.
std::string dashboard_address(const ClusterState& c, const ClusterNode& n);
// Node 1's history database as its omxd names it: in namespaces mode "/tmp/history.db", the
// node's private /tmp, i.e. DIR/node1/tmp/history.db (SQLite makes paths absolute with
// getcwd, and DIR itself may lie under the host's /tmp, which the node cannot see); in host
// mode "history.db" relative to omxd's working directory DIR.
std::string history_path(const ClusterState& c);

// Reads DIR/cluster.json. ENOENT (no cluster in DIR) is a kSys error with err == ENOENT.
Result<ClusterState> load_cluster_state(const std::string& dir);
// Writes DIR/cluster.json atomically (temporary file, then rename).
Status save_cluster_state(const ClusterState& state);

}  // namespace omx::cluster
