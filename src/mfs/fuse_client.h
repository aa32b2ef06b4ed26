// The /mfs FUSE client (docs/mfs-dfsa-design.md §1.2, §1.6-1.8, §2): `omx mfs serve --mount
// PATH` mounts one FUSE file system ("omx", type fuse.omxmfs) at PATH and forwards every
// operation on /mfs/N/... to node N's MFS server (mfs/protocol.h) over a SessionPool channel
// that acts for the caller (fuse_get_context() uid/gid + fuse_getgroups()).
//
//   /mfs                 node ids of omxd's node table (up or down) + here, home, lastexec,
//                        selected (symlinks to a node id, answered per calling pid by omxd's
//                        op mfs_whois, never cached) and magic (a directory: a create through
//                        it goes to "here" and omxd remembers that node (op mfs_magic) for the
//                        caller's later lookups, which go to mfs_whois "magic").
//   /mfs/N/path          node N's /path, with N's permissions, checked there by the kernel.
//
// Consistency: the kernel caches nothing (entry/attr/negative timeouts 0, direct_io on every
// open and create, no writeback cache): a write on the owner is seen at once, appends from
// several nodes are made by the owner's O_APPEND fds. statfs of /mfs and the magic names: zero
// blocks; of /mfs/N/...: N's figures. Cross-node rename/link: EXDEV. mknod: EPERM.
//
// The client never touches PATH itself (it would deadlock on its own mount): cwd "/", node
// table and key from omxd's control socket (ops "nodes", refreshed every second, and "key").
//
// Threading: libfuse's multi-threaded loop (up to 16 threads); each op blocks on one leased
// channel. A maintenance thread refreshes the node table and closes idle sessions.
#pragma once

#include <string>

namespace omx::mfs {

struct FuseClientOptions {
  std::string mount;    // the mount point, e.g. "/mfs"
  std::string control;  // omxd's control socket address
  bool debug = false;   // libfuse debug output (foreground)
};

// Mounts, serves until unmounted or SIGTERM/SIGINT/SIGHUP, unmounts. Returns 0, or 1 with a
// message on stderr.
int run_fuse_client(const FuseClientOptions& options);

}  // namespace omx::mfs
