// cluster_up: claim an index, record the plan in cluster.json, write the map and the key, build
// the network (namespaces mode), start every omxd, wait until all are ready. Any failure tears
// down what was made.
#include <fcntl.h>
#include <signal.h>
#include <limits.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include <fmt/format.h>

#include "base/fault.h"
#include "base/log.h"
#include "cluster/cpu_cgroup.h"
#include "cluster/cluster_registry.h"
#include "cluster/file_util.h"
#include "cluster/harness.h"
#include "cluster/netlink.h"
#include "cluster/netns.h"
#include "cluster/node_launch.h"
#include "cluster/proc_scan.h"

namespace omx::cluster {
namespace {

Result<std::string> absolute_dir(const std::string& dir) {
  if (dir.empty()) return make_error(ErrorCode::kInvalid, "--dir is empty");
  OMX_TRY(make_dirs(dir, 0755));
  char buf[PATH_MAX];
  if (!::realpath(dir.c_str(), buf)) return sys_error(fmt::format("realpath {}", dir));
  return std::string(buf);
}

bool executable(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// --omxd, else omxd beside the running binary (build/bin/omx -> build/bin/omxd), else $PATH.
Result<std::string> find_omxd(const std::string& requested) {
  if (!requested.empty()) {
    char buf[PATH_MAX];
    if (!::realpath(requested.c_str(), buf) || !executable(buf))
      return make_error(ErrorCode::kInvalid,
                        fmt::format("--omxd {}: not an executable file", requested));
    return std::string(buf);
  }
  char self[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    std::string s(self, static_cast<size_t>(n));
    std::string beside = s.substr(0, s.rfind('/') + 1) + "omxd";
    if (executable(beside)) return beside;
  }
  const char* path = std::getenv("PATH");
  std::string_view rest = path ? path : "";
  while (!rest.empty()) {
    auto colon = rest.find(':');
    std::string candidate = std::string(rest.substr(0, colon)) + "/omxd";
    if (executable(candidate)) return candidate;
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  return make_error(ErrorCode::kInvalid, "cannot find omxd (not beside omx, not on $PATH; pass --omxd)");
}

Status write_key(const std::string& path) {
  unsigned char key[32];
  if (::getrandom(key, sizeof key, 0) != sizeof key) return sys_error("getrandom");
  std::string hex;
  for (unsigned char b : key) hex += fmt::format("{:02x}", b);
  return write_file_atomic(path, hex + "\n", 0600);
}

Status write_files(const ClusterState& s) {
  std::string text = fmt::format("# omx local cluster {} ({} mode): first-id address count\n",
                                 s.index, mode_name(s.mode));
  text += fmt::format("{} {} {}\n", s.nodes.front().id, s.nodes.front().addr.to_string(),
                      s.nodes.size());
  OMX_TRY(write_file_atomic(s.path(kMapFile), text, 0644));
  OMX_TRY(write_key(s.path(kKeyFile)));
  for (const auto& n : s.nodes) {
    OMX_TRY(make_dirs(s.path(n.dir_name()), 0755));
    if (s.mode != ClusterMode::kNamespaces) continue;
    std::string tmp = s.path(n.dir_name()) + "/tmp";  // the node's /tmp: world-writable, sticky
    OMX_TRY(make_dirs(tmp, 0755));
    if (::chmod(tmp.c_str(), 01777) != 0) return sys_error(fmt::format("chmod {}", tmp));
  }
  return ok_status();
}

// Configures one node's namespace: veth pair to the hub bridge, lo and eth0 up, its address.
Status build_node_network(ClusterNode& n, Netlink& hub, int bridge) {
  OMX_TRY(fault::check("cluster.up.node_network"));
  OMX_TRY(create_named_netns(n.netns));
  OMX_ASSIGN(ScopedFd ns, open_named_netns(n.netns));
  OMX_ASSIGN(n.netns_inode, ns_inode(netns_path(n.netns)));
  std::string hub_end = hub_veth_name(n.id);
  OMX_TRY(hub.create_veth(hub_end, kNodeIfName, ns.get()));
  OMX_ASSIGN(int hub_if, hub.link_index(hub_end));
  OMX_TRY(hub.set_master(hub_if, bridge));
  OMX_TRY(hub.set_up(hub_if));
  OMX_ASSIGN(Netlink nl, Netlink::open_in(ns.get()));
  OMX_ASSIGN(int lo, nl.link_index("lo"));
  OMX_TRY(nl.set_up(lo));
  OMX_ASSIGN(int eth, nl.link_index(kNodeIfName));
  OMX_TRY(nl.add_ipv4(eth, n.addr, kPrefixLen));
  OMX_TRY(nl.set_up(eth));
  return ok_status();
}

Status build_network(ClusterState& s) {
  OMX_TRY(create_named_netns(s.hub_netns));
  OMX_ASSIGN(ScopedFd hub_ns, open_named_netns(s.hub_netns));
  OMX_ASSIGN(Netlink hub, Netlink::open_in(hub_ns.get()));
  OMX_TRY(hub.create_bridge(kBridgeName));
  OMX_ASSIGN(int bridge, hub.link_index(kBridgeName));
  OMX_TRY(hub.set_up(bridge));
  for (auto& n : s.nodes) {
    Status st = build_node_network(n, hub, bridge);
    if (!st.ok()) {
      st.error().what = fmt::format("node {}: {}", n.id, st.error().what);
      return st;
    }
  }
  OMX_TRY(save_cluster_state(s));
  fault::hit_or_die("cluster.up.die_after_network");  // a crash with namespaces and no omxd
  return ok_status();
}

// While `up` runs, SIGINT/SIGTERM/SIGHUP are blocked and only noted, so that Ctrl-C leads to
// a clean tear-down instead of half a cluster. check() turns a pending one into an error.
class InterruptGuard {
 public:
  InterruptGuard() {
    sigemptyset(&set_);
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&set_, sig);
    ::sigprocmask(SIG_BLOCK, &set_, &old_);
  }
  ~InterruptGuard() {
    timespec zero{0, 0};
    for (int i = 0; i < 8 && ::sigtimedwait(&set_, nullptr, &zero) > 0; ++i) {
    }
    ::sigprocmask(SIG_SETMASK, &old_, nullptr);
  }
  Status check() const {
    sigset_t pending;
    ::sigpending(&pending);
    for (int sig : {SIGINT, SIGTERM, SIGHUP})
      if (sigismember(&pending, sig))
        return make_error(ErrorCode::kInvalid,
                          fmt::format("interrupted by {}", sig == SIGINT    ? "SIGINT"
                                                           : sig == SIGTERM ? "SIGTERM"
                                                                            : "SIGHUP"));
    return ok_status();
  }

 private:
  sigset_t set_, old_;
};

Status start_nodes(ClusterState& s, std::chrono::milliseconds timeout,
                   const InterruptGuard& interrupts) {
  std::vector<LaunchedNode> launched;
  for (auto& n : s.nodes) {
    OMX_ASSIGN(LaunchedNode l, launch_omxd(s, n));
    n.pid = l.pid;
    auto st = read_proc_stat(l.pid);
    n.start_time = st.ok() ? st->start_time : 0;
    launched.push_back(std::move(l));
    OMX_TRY(save_cluster_state(s));  // down must find it even if we die right now
    fault::hit_or_die("cluster.up.die_after_launch");
  }
  OMX_TRY(wait_until_ready(launched, timeout, [&] { return interrupts.check(); }));
  for (auto& n : s.nodes) {
    if (s.mode == ClusterMode::kNamespaces) {
      auto mnt = process_ns_inode(n.pid, "mnt");
      n.mntns_inode = mnt.ok() ? *mnt : 0;
    }
  }
  return ok_status();
}

// One CPU-quota cgroup per node (--cpu); recorded in the state so that down removes them.
Status make_cgroups(ClusterState& s, const std::vector<double>& cpus) {
  if (s.mode != ClusterMode::kNamespaces)
    return make_error(ErrorCode::kInvalid, "--cpu needs root (cgroups)");
  OMX_ASSIGN(CpuController c, find_cpu_controller());
  for (size_t i = 0; i < s.nodes.size(); ++i) {
    OMX_ASSIGN(s.nodes[i].cgroup, make_node_cgroup(c, s.index, s.nodes[i].id, cpus.at(i)));
  }
  return save_cluster_state(s);
}

ClusterState plan_cluster(const std::string& dir, const UpOptions& o, const std::string& omxd,
                          int index) {
  ClusterState s;
  s.dir = dir;
  s.index = index;
  s.mode = ::geteuid() == 0 ? ClusterMode::kNamespaces : ClusterMode::kHost;
  s.port = o.port;
  s.discovery = o.discovery && s.mode == ClusterMode::kNamespaces;
  s.mfs = o.mfs && s.mode == ClusterMode::kNamespaces;
  s.dashboard = o.dashboard;
  s.omxd = omxd;
  if (s.mode == ClusterMode::kNamespaces) s.hub_netns = hub_netns_name(index);
  for (int i = 1; i <= o.nodes; ++i) {
    ClusterNode n;
    n.id = static_cast<NodeId>(i);
    n.addr = node_address(s.mode, index, n.id);
    n.control = node_control_address(s.mode, index, n.id);
    if (s.mode == ClusterMode::kNamespaces) n.netns = node_netns_name(index, n.id);
    s.nodes.push_back(n);
  }
  return s;
}

// Claims an index and records the plan (under the registry lock, so the claim is complete
// before another `up` can look at it).
Result<ClusterState> claim_and_record(const std::string& dir, const UpOptions& o,
                                      const std::string& omxd) {
  bool root = ::geteuid() == 0;
  auto busy = [root](int c) {
    return root && (named_netns_exists(hub_netns_name(c)) || named_netns_exists(node_netns_name(c, 1)));
  };
  OMX_ASSIGN(Claim claim, claim_cluster_index(dir, busy));
  ClusterState s = plan_cluster(dir, o, omxd, claim.index);
  s.registry = claim.entry;
  if (Status st = save_cluster_state(s); !st.ok()) {
    ::unlink(claim.entry.c_str());
    return st.error();
  }
  return s;
}

}  // namespace

Result<ClusterState> cluster_up(const UpOptions& o, const Notify& notify) {
  if (o.nodes < 1 || o.nodes > kMaxClusterNodes)
    return make_error(ErrorCode::kInvalid,
                      fmt::format("--nodes {}: a local cluster has 1..{} nodes", o.nodes, kMaxClusterNodes));
  OMX_ASSIGN(std::string dir, absolute_dir(o.dir));
  if (auto old = load_cluster_state(dir); old.ok() || old.error().err != ENOENT)
    return make_error(ErrorCode::kInvalid,
                      fmt::format("{} already holds a cluster (run omx cluster down --dir {} first)",
                                  dir, dir));
  OMX_ASSIGN(std::string omxd, find_omxd(o.omxd));
  OMX_ASSIGN(ClusterState s, claim_and_record(dir, o, omxd));
  if (s.mode == ClusterMode::kHost)
    notify(fmt::format("not root: all nodes share the host network namespace on 127.77.{}.x, "
                       "without private /tmp", s.index));
  if (o.mfs && s.mode != ClusterMode::kNamespaces)
    notify("not root: no /mfs (each node mounts it in its own mount namespace, which needs root)");
  InterruptGuard interrupts;
  Status st = write_files(s);
  if (st.ok() && s.mfs && ::mkdir(kMfsMountPoint, 0755) != 0 && errno != EEXIST)
    st = sys_error(fmt::format("mkdir {}", kMfsMountPoint));
  if (st.ok() && !o.cpus.empty()) st = make_cgroups(s, o.cpus);
  if (st.ok() && s.mode == ClusterMode::kNamespaces) st = build_network(s);
  if (st.ok()) st = interrupts.check();
  if (st.ok()) st = start_nodes(s, o.timeout, interrupts);
  if (st.ok()) {
    s.phase = "up";
    st = save_cluster_state(s);
  }
  if (st.ok()) return s;
  std::vector<std::string> problems;
  tear_down(s, problems);
  for (const auto& p : problems) log::get("cluster")->warn("clean-up after failed up: {}", p);
  return st.error();
}

}  // namespace omx::cluster
