// Guest supervisor: hosts one migrated process on this node (ARCHITECTURE §1). Started by omxd
// for an incoming kMigrateOffer; rebuilds the body from the image under a seccomp filter,
// then runs it: local calls run untouched, emulated calls are answered here, forwarded calls
// go to the deputy at home, and calls only home can make send the process home. Signals from
// home are delivered with their siginfo. See protocol.h for the message flow.
//
// Single-threaded (it is the body's ptrace tracer). Runs as root until the body is rebuilt;
// the body itself runs with the owner's credentials.
#pragma once

#include <string>

#include "base/result.h"
#include "migrate/protocol.h"
#include "proc/restore.h"
#include "wire/channel.h"
#include "wire/session_owner.h"

namespace omx::migrate {

struct GuestConfig {
  uint32_t node_id = 0;
  bool allow_root = false;  // accept processes owned by uid 0
  wire::SessionOwner owner;  // whom the session acts for (the kSessionOwner frame)
  bool blocked = false;      // this node refuses guests (mosctl block)
  bool closing = false;      // this node is shutting down (mosctl shutdown, SIGTERM): refuse too
  std::string control_address;  // this node's omxd (automatic balancing: "nodes", "claim")
  // /mfs of this node (DFSA on /mfs/<this node>/..., guest_dfsa.h): mosctl nomfs when the guest
  // started (this node's files refused to others: such calls are forwarded, and refused there),
  // omxd --mfs-root (root's calls are not squashed).
  bool nomfs = false;
  bool mfs_root = false;
};

// The credentials the body runs with. A session owned by an ordinary user carries only that
// user's process: the offer must state exactly the owner's uid, gid and groups (else kRefused)
// and the body gets them. A session owned by root (a cluster member's omxd or a root process
// with the key) may carry any user's process, as the offer states. A body owned by uid 0 is
// refused unless allow_root.
Result<proc::Credentials> body_credentials(const wire::SessionOwner& owner, const Offer& offer,
                                           bool allow_root);

// `offer` is the first frame received on `ch`. Returns the guest's exit status.
int run_guest(wire::Channel ch, const wire::Frame& offer, const GuestConfig& cfg);

}  // namespace omx::migrate
