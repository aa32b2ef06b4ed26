// MfsContext: omxd's answers for the /mfs magic paths (docs/mfs-dfsa-design.md §2). The FUSE
// client (mfs/fuse_client.h) asks, per readlink of /mfs/here, /mfs/home, /mfs/lastexec or
// /mfs/selected, which node that name means for the calling pid:
//
//   {"op":"mfs_whois","pid":P}        -> {"ok":true,"here":N,"home":N,"lastexec":N,
//                                          "selected":N,"magic":N}
//   {"op":"select","pid":P,"node":N}  -> {"ok":true}   (owner of P or root; node 0 clears)
//   {"op":"mfs_magic","pid":P,"node":N} -> {"ok":true} (root: the FUSE client, after P created
//                                                      a file through /mfs/magic on node N)
//
// Who the caller is (P may be a thread id: its thread group counts):
//   * a guest body on this node: here = this node, home = the body's home;
//   * a process homed here whose body is away (its deputy makes the call): here = the node the
//     last "migrated" report named, home = this node;
//   * anything else: here = home = this node.
// lastexec: the home node (execve always runs at home today). magic: the node of P's last
// create through /mfs/magic (a create itself goes to here), else here. selected: the nearest process on the ppid
// chain from P with a selection counts if it is P itself or the selection was made before the
// child of it on the chain started (/proc start times): "inherited at fork". None: home.
//
// Threading: omxd's event loop only (reads /proc synchronously: a few small files per call).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>

#include <nlohmann/json.hpp>

#include "daemon/control_server.h"
#include "daemon/process_registry.h"

namespace omx::daemon {

// What /proc/PID/stat and status say about a process (nullopt: gone).
struct ProcFacts {
  pid_t tgid = 0;
  pid_t ppid = 0;
  uid_t uid = 0;           // real uid
  uint64_t start = 0;      // start time, clock ticks since boot
};
std::optional<ProcFacts> proc_facts(pid_t pid);

struct MfsWhois {
  uint32_t here = 0, home = 0, lastexec = 0, selected = 0, magic = 0;
};

class MfsContext {
 public:
  static constexpr size_t kMaxSelections = 65536;
  MfsContext(uint32_t self, ProcessRegistry& registry) : self_(self), registry_(registry) {}
  void add_ops(ControlServer& server);

  Result<MfsWhois> whois(pid_t pid);
  Status select(pid_t pid, uint32_t node, const Caller& caller);
  Status set_magic(pid_t pid, uint32_t node, const Caller& caller);

 private:
  struct Selection {
    uint32_t node = 0;
    uint64_t start = 0;   // start time of the process it belongs to (against pid reuse)
    uint64_t set_at = 0;  // clock ticks since boot when it was made
  };
  std::optional<uint32_t> selected_for(const ProcFacts& caller);
  void prune();

  uint32_t self_;
  ProcessRegistry& registry_;
  std::map<pid_t, Selection> selections_;
  std::map<pid_t, Selection> magic_;  // the last magic create's node per process
};

}  // namespace omx::daemon
