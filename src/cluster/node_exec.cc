// cluster_exec and cluster_status: looking at a running cluster from a fresh process.
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <sys/syscall.h>
#include <stdlib.h>
#include <unistd.h>

#include <fmt/format.h>

#include "base/scoped_fd.h"
#include "cluster/cpu_cgroup.h"
#include "cluster/harness.h"
#include "cluster/proc_scan.h"

extern char** environ;

namespace omx::cluster {
namespace {

Result<ClusterState> load_existing(const std::string& dir) {
  char buf[PATH_MAX];
  std::string abs = ::realpath(dir.c_str(), buf) ? std::string(buf) : dir;
  auto s = load_cluster_state(abs);
  if (!s.ok() && s.error().code == ErrorCode::kSys && s.error().err == ENOENT)
    return make_error(ErrorCode::kInvalid,
                      fmt::format("no cluster in {} (omx cluster up --dir {} starts one)", dir, dir));
  return s;
}

// Enters the network and mount namespaces of the node's omxd. The namespace files are opened
// first and the pid checked afterwards, so a pid reused meanwhile cannot slip in.
Status enter_node(const ClusterState& s, const ClusterNode& n) {
  auto gone = [&] {
    return make_error(ErrorCode::kVanished,
                      fmt::format("node {}: its omxd (pid {}) is not running, and its mount "
                                  "namespace went with it (see {}/{}/omxd.log; restart the "
                                  "cluster)",
                                  n.id, n.pid, s.dir, n.dir_name()));
  };
  if (!process_is(n.pid, n.start_time)) return gone();
  ScopedFd net(::open(fmt::format("/proc/{}/ns/net", n.pid).c_str(), O_RDONLY | O_CLOEXEC));
  ScopedFd mnt(::open(fmt::format("/proc/{}/ns/mnt", n.pid).c_str(), O_RDONLY | O_CLOEXEC));
  if (!net.valid() || !mnt.valid() || !process_is(n.pid, n.start_time)) return gone();
  char cwd[PATH_MAX];
  bool have_cwd = ::getcwd(cwd, sizeof cwd) != nullptr;
  if (::setns(net.get(), CLONE_NEWNET) != 0) return sys_error("setns(node netns)", n.pid);
  if (::setns(mnt.get(), CLONE_NEWNS) != 0) return sys_error("setns(node mount ns)", n.pid);
  // setns(CLONE_NEWNS) moved us to the namespace's root: keep the directory we were in when it
  // exists there too (everything but /tmp is shared with the host), else use /.
  if (!have_cwd || ::chdir(cwd) != 0) {
    if (::chdir("/") != 0) return sys_error("chdir /");
  }
  return ok_status();
}

}  // namespace

Error cluster_exec(const std::string& dir, NodeId node, const std::vector<std::string>& argv) {
  if (argv.empty()) return make_error(ErrorCode::kInvalid, "no command given");
  auto s = load_existing(dir);
  if (!s.ok()) return s.error();
  ClusterNode* n = s->find(node);
  if (!n)
    return make_error(ErrorCode::kInvalid,
                      fmt::format("cluster in {} has no node {} (nodes 1..{})", s->dir, node,
                                  s->nodes.size()));
  // A command named by path may lie under the host's /tmp, which the node does not see (a build
  // tree in /tmp): keep a handle to it from here.
  ScopedFd cmd;
  if (argv[0].find('/') != std::string::npos)
    cmd.reset(::open(argv[0].c_str(), O_PATH | O_CLOEXEC));
  if (s->mode == ClusterMode::kNamespaces) {
    if (Status st = enter_node(*s, *n); !st.ok()) return st.error();
  }
  if (!n->cgroup.empty()) {  // the node's CPU quota covers what runs on it
    if (Status st = join_cgroup(n->cgroup); !st.ok()) return st.error();
  }
  ::setenv("OMX_CONTROL", n->control.c_str(), 1);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  ::execvp(args[0], args.data());
  if (errno == ENOENT && cmd.valid()) {
    // Only binaries work this way: a #! script's interpreter cannot open a close-on-exec fd.
    ::syscall(SYS_execveat, cmd.get(), "", args.data(), environ, AT_EMPTY_PATH);
    errno = ENOENT;
  }
  return sys_error(argv[0]);
}

Result<ClusterState> cluster_status(const std::string& dir, std::vector<NodeStatus>* nodes) {
  OMX_ASSIGN(ClusterState s, load_existing(dir));
  if (nodes) {
    nodes->clear();
    for (const auto& n : s.nodes) nodes->push_back({n, process_is(n.pid, n.start_time)});
  }
  return s;
}

}  // namespace omx::cluster
