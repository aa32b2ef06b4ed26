// Cluster index claims, so that several local clusters (tests run a few at once) never pick the
// same index c, hence never the same namespaces, addresses or control sockets.
//
// The registry is a directory (/run/omx/clusters as root, /tmp/omx-clusters otherwise, mode
// 1777) with one file per index in use, named after the index and holding the cluster's DIR.
// Choosing an index happens under flock() on the registry directory; the caller keeps the lock
// (Claim::lock) until it has written DIR/cluster.json, so a concurrent `up` sees a complete
// claim. A claim is stale, and is taken over, when its DIR no longer holds a cluster.json for
// that index (a cluster whose directory was deleted, or that was torn down by hand).
//
// Blocking file operations; single-threaded use.
#pragma once

#include <functional>
#include <string>

#include "base/result.h"
#include "base/scoped_fd.h"

namespace omx::cluster {

struct Claim {
  int index = -1;
  std::string entry;  // the registry file
  ScopedFd lock;      // flock on the registry; release by destroying (or reset())
};

std::string registry_dir();

// Claims the lowest free index in 0..kMaxClusterIndex for cluster_dir. `busy` may veto an
// index for reasons outside the registry (e.g. its namespaces still exist).
Result<Claim> claim_cluster_index(const std::string& cluster_dir,
                                  const std::function<bool(int)>& busy);

// The index claimed for cluster_dir (its claim file in `entry`), or -1. Also finds a claim whose
// cluster directory was deleted while the cluster ran (cluster_down tears that one down too).
int find_cluster_claim(const std::string& cluster_dir, std::string& entry);

// Removes the claim file if it still belongs to cluster_dir.
void release_cluster_index(const std::string& entry, const std::string& cluster_dir);

}  // namespace omx::cluster
