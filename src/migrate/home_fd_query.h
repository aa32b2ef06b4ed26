// DFSA at home (docs/mfs-dfsa-design.md §3.2): the home supervisor answers a guest's kFdQuery
// about one of the deputy's descriptors from /proc/<deputy>/fd/N and fdinfo/N, without
// touching the deputy; and both supervisors learn their node's shared directories from omxd
// (op "dfsa": omxd --dfsa-dir).
//
// Called on the supervisors' single thread; blocking (a /proc scan, a control round trip).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "migrate/protocol.h"

namespace omx::migrate {

// What fd `fd` of process `deputy` is. `shared` is set when another fd of the deputy or an fd
// of another process (the calling supervisor excepted) holds the same open file description
// (kcmp KCMP_FILE); processes we may not inspect are not seen. That scan of /proc is made only
// for a regular file under one of `dirs` (home's shared directories): nothing else is lent.
FdInfo query_deputy_fd(pid_t deputy, int fd, const std::vector<std::string>& dirs);

// This node's DFSA configuration as omxd reports it (op "dfsa"): its shared directories and
// where its /mfs is mounted (""); empty when omxd does not answer, has none, or is too old to
// know the op.
struct NodeDfsa {
  std::vector<std::string> dirs;
  std::string mfs_mount;
};
NodeDfsa node_dfsa(const std::string& control_address);

}  // namespace omx::migrate
