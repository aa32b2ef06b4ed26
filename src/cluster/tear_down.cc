// tear_down / cluster_down: stop the omxds, kill whatever else lives in the node namespaces,
// remove the namespaces, release the index. Every step tolerates things already gone, and every
// wait is bounded.
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <optional>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "cluster/cpu_cgroup.h"
#include "cluster/cluster_registry.h"
#include "cluster/harness.h"
#include "cluster/netns.h"
#include "cluster/proc_scan.h"

namespace omx::cluster {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kTermGrace = std::chrono::seconds(5);
constexpr auto kKillGrace = std::chrono::seconds(2);
constexpr auto kPollStep = std::chrono::milliseconds(20);

std::vector<ClusterNode*> live_omxds(ClusterState& s) {
  std::vector<ClusterNode*> out;
  for (auto& n : s.nodes)
    if (n.pid > 0 && process_is(n.pid, n.start_time)) out.push_back(&n);
  return out;
}

// Waits until none of the recorded omxds runs any more, or the grace period ends.
bool wait_omxds_gone(ClusterState& s, Clock::duration grace) {
  auto deadline = Clock::now() + grace;
  while (Clock::now() < deadline) {
    if (live_omxds(s).empty()) return true;
    std::this_thread::sleep_for(kPollStep);
  }
  return live_omxds(s).empty();
}

void stop_omxds(ClusterState& s, std::vector<std::string>& problems) {
  for (ClusterNode* n : live_omxds(s)) ::kill(n->pid, SIGTERM);
  if (wait_omxds_gone(s, kTermGrace)) return;
  for (ClusterNode* n : live_omxds(s)) ::kill(n->pid, SIGKILL);
  if (wait_omxds_gone(s, kKillGrace)) return;
  for (ClusterNode* n : live_omxds(s))
    problems.push_back(fmt::format("node {}: omxd pid {} survived SIGKILL", n->id, n->pid));
}

// The namespaces of every node: the recorded inodes plus what /run/netns says now (a crash may
// have happened before the inode was recorded).
void node_namespaces(const ClusterState& s, std::set<uint64_t>& net, std::set<uint64_t>& mnt) {
  for (const auto& n : s.nodes) {
    if (n.netns_inode) net.insert(n.netns_inode);
    if (n.mntns_inode) mnt.insert(n.mntns_inode);
    if (!n.netns.empty())
      if (auto ino = ns_inode(netns_path(n.netns)); ino.ok()) net.insert(*ino);
  }
  if (!s.hub_netns.empty())
    if (auto ino = ns_inode(netns_path(s.hub_netns)); ino.ok()) net.insert(*ino);
}

// SIGKILLs every process in the node namespaces until none is left (bounded).
void kill_node_processes(const ClusterState& s, std::vector<std::string>& problems) {
  std::set<uint64_t> net, mnt;
  node_namespaces(s, net, mnt);
  if (net.empty() && mnt.empty()) return;
  auto deadline = Clock::now() + kKillGrace;
  std::vector<pid_t> left;
  do {
    left = processes_in_namespaces(net, mnt);
    for (pid_t pid : left) ::kill(pid, SIGKILL);
    if (left.empty()) return;
    std::this_thread::sleep_for(kPollStep);
  } while (Clock::now() < deadline);
  problems.push_back(fmt::format("{} process(es) in the node namespaces survived SIGKILL (first: pid {})",
                                 left.size(), left.front()));
}

void remove_namespaces(const ClusterState& s, std::vector<std::string>& problems) {
  auto remove = [&](const std::string& name) {
    if (name.empty()) return;
    if (Status st = delete_named_netns(name); !st.ok()) problems.push_back(st.error().message());
  };
  for (const auto& n : s.nodes) remove(n.netns);
  remove(s.hub_netns);  // its bridge and the hub ends of the veths go with it
}

}  // namespace

void tear_down(ClusterState& s, std::vector<std::string>& problems) {
  stop_omxds(s, problems);
  if (s.mode == ClusterMode::kNamespaces) {
    kill_node_processes(s, problems);
    remove_namespaces(s, problems);
  }
  for (ClusterNode& n : s.nodes) {  // empty now: every process of the node is gone
    if (n.cgroup.empty()) continue;
    if (Status st = remove_node_cgroup(n.cgroup); !st.ok()) problems.push_back(st.error().message());
    else n.cgroup.clear();
  }
  if (problems.empty()) {
    if (::unlink(s.path(kClusterFile).c_str()) != 0 && errno != ENOENT)
      problems.push_back(sys_error("unlink " + s.path(kClusterFile)).message());
    release_cluster_index(s.registry, s.dir);
  }
}

// A cluster whose directory (and so cluster.json) was deleted while it ran: what the registry
// and the namespace names still say. Its omxds are not known by pid; they die with everything
// else in the node namespaces. nullopt: DIR never held a cluster that is still claimed.
std::optional<ClusterState> orphan_state(const std::string& abs) {
  ClusterState s;
  s.index = find_cluster_claim(abs, s.registry);
  if (s.index < 0) return std::nullopt;
  s.dir = abs;
  s.mode = ClusterMode::kNamespaces;
  if (named_netns_exists(hub_netns_name(s.index))) s.hub_netns = hub_netns_name(s.index);
  for (NodeId id = 1; id <= kMaxClusterNodes; ++id) {
    if (!named_netns_exists(node_netns_name(s.index, id))) continue;
    ClusterNode& n = s.nodes.emplace_back();
    n.id = id;
    n.netns = node_netns_name(s.index, id);
  }
  return s;
}

Result<DownResult> cluster_down(const std::string& dir) {
  DownResult r;
  char buf[PATH_MAX];
  std::string abs = ::realpath(dir.c_str(), buf) ? std::string(buf) : dir;
  if (!abs.empty() && abs[0] != '/' && ::getcwd(buf, sizeof buf)) abs = std::string(buf) + "/" + abs;
  auto state = load_cluster_state(abs);
  if (!state.ok()) {
    if (state.error().code != ErrorCode::kSys || state.error().err != ENOENT) return state.error();
    std::optional<ClusterState> orphan = orphan_state(abs);
    if (!orphan) return r;
    state = std::move(*orphan);
  }
  r.had_cluster = true;
  tear_down(*state, r.problems);
  return r;
}

}  // namespace omx::cluster
