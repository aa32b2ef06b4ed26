// MFS server: serves one /mfs session (docs/mfs-dfsa-design.md §1.1, §1.3-1.5). omxd's guest
// acceptor forks a child per incoming wire connection; when the frame after kSessionOwner is a
// kMfsRequest, the child calls become_owner() (the session owner's uid, gid and groups; uid 0
// squashed to 65534 unless omxd runs with --mfs-root; not dumpable) and then run_server(), which
// answers every request of the protocol (mfs/protocol.h) until the peer closes or stays idle for
// cfg.idle. The kernel checks permissions, exactly as for a local process of that user.
//
// Handles: fh is a server-local u64, never an fd number; it increases monotonically from 1, so a
// released or unknown fh is EBADF. readdir lists neither "." nor ".." (the client adds them);
// its cookie is the position after an entry (0: from the start); a reply holds entries up to
// max_bytes of reply, but always at least one (eof: none left). Paths and exclusions:
// path_resolver.h. nomfs: every request is answered EACCES (cfg.nomfs when the session started,
// *cfg.refuse when mosctl nomfs came later).
//
// Malformed frames: a request that does not decode is logged and answered EPROTO when its id can
// be read (ENOSYS for an unknown op), else dropped; frames of other types are logged and dropped.
//
// Fault points: mfs.server.reply (the reply is not sent: the client sees a timeout),
// mfs.server.crash (the worker dies with SIGKILL before answering).
//
// Threading: single-threaded; one server per process (it sets the process umask to 0).
#pragma once

#include <chrono>
#include <csignal>
#include <string>

#include <csignal>

#include "base/result.h"
#include "mfs/transport.h"
#include "wire/channel.h"
#include "wire/session_owner.h"

namespace omx::mfs {

inline constexpr uint32_t kSquashedUid = 65534;  // "nobody"
inline constexpr uint32_t kSquashedGid = 65534;  // "nogroup"

struct MfsServerConfig {
  bool nomfs = false;             // mosctl nomfs: every request EACCES
  // mosctl nomfs while the session is open: omxd signals its file servers (SIGUSR2, whose
  // handler sets this flag) and every request from then on is answered EACCES, on open
  // handles too. Null: not watched.
  const volatile std::sig_atomic_t* refuse = nullptr;
  std::string root = "/";         // the served tree (tests may serve a directory)
  std::chrono::milliseconds idle = std::chrono::seconds(60);  // close after this long without a request
};

// The credentials a session owner gets on this node: uid 0 -> 65534/65534, no groups, unless
// allow_root.
wire::SessionOwner effective_owner(const wire::SessionOwner& owner, bool allow_root);
// setgroups, setresgid, setresuid to effective_owner(owner), then PR_SET_DUMPABLE 0. The caller
// must be root (or already be that user).
Status become_owner(const wire::SessionOwner& owner, bool allow_root);

// Serves the session; `first` is the first kMfsRequest (already received). Returns the process
// exit status: 0 when the peer closed or the session went idle, 1 on a transport error.
int run_server(FrameTransport& t, const wire::Frame& first, const MfsServerConfig& cfg);

}  // namespace omx::mfs
