// Starting the omxd of one node of a local cluster, and waiting until every node is ready.
//
// launch_omxd forks; the child (before exec) in namespaces mode
//   1. enters the node's network namespace (setns),
//   2. makes its own mount namespace and turns every mount in it into a slave of the host's:
//      nothing mounted in the node propagates to the host, while the host's removal of
//      /run/netns/* bind mounts still propagates in (a private copy would keep every other
//      cluster's namespaces alive as long as this node lives),
//   3. binds DIR/node<i>/tmp on /tmp (the node's private /tmp);
// then in both modes it changes to DIR (still reachable through the cwd even when DIR lies under
// the now hidden host /tmp, so omxd gets paths relative to DIR), starts a new session (daemon:
// no controlling terminal, not in the caller's process group), takes stdin from /dev/null,
// stdout/stderr to DIR/node<i>/omxd.log and the write end of a ready pipe as fd 3, and execs
// omxd --foreground ... --ready-fd 3. A failing step before exec is reported through a
// close-on-exec status pipe, so launch_omxd returns that error.
//
// Single-threaded callers only (fork).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/scoped_fd.h"
#include "cluster/cluster_state.h"

namespace omx::cluster {

struct LaunchedNode {
  NodeId id = 0;
  pid_t pid = 0;
  ScopedFd ready;        // read end of the ready pipe; closed once "ready\n" arrived
  std::string buffered;  // bytes read so far
  std::string log;       // DIR/node<i>/omxd.log
};

Result<LaunchedNode> launch_omxd(const ClusterState& cluster, const ClusterNode& node);

// Waits until every node wrote "ready\n". The first node that exits first, or is not ready by
// the deadline, makes it fail with a message naming the node, its exit status and the last
// line of its log. keep_going, if given, is asked every 100 ms; its error ends the wait.
Status wait_until_ready(std::vector<LaunchedNode>& nodes, std::chrono::milliseconds timeout,
                        const std::function<Status()>& keep_going = {});

}  // namespace omx::cluster
