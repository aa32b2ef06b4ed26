// GuestAcceptor: omxd's handler for incoming wire connections. Each connection gets its own
// forked process at once (the daemon's event loop never waits on a peer): the child runs the
// authenticated handshake, reads the session owner (kSessionOwner, the first sealed frame: whose
// process this is, stated by the initiating node's omxd; session_owner.h) and the next frame;
// for a kMigrateOffer it becomes the guest supervisor of that process, which runs with the
// owner's credentials; for a kMfsRequest it becomes a /mfs file server (mfs/server.h) with the
// owner's credentials (uid 0 squashed to 65534 unless --mfs-root; mosctl nomfs: every request
// refused with EACCES). A file server names itself omx-mfs, is not counted as a guest and ends
// on SIGUSR1 like a guest. For a kRelayRequest it runs one whitelisted command as the owner
// (relay/server.h: `omx on`, the web dashboard; root not squashed, as for migration), replies
// and ends; it names itself omx-relay and is not counted as a guest either. A peer without the
// cluster key gets no further than the handshake.
// At most kMaxGuests guest supervisors and kMaxChildren children in all run at once; further
// connections (or offers) are refused. Once close() was called (omxd shuts down cleanly) every
// offer is refused ("node N is shutting down") and no file session starts.
//
// on_connection runs on omxd's event-loop thread; omxd must be single-threaded when it forks
// (it is: one asio loop). Children are reaped by reap() (call it on SIGCHLD).
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "daemon/connection_handler.h"
#include "migrate/child_limit.h"
#include "wire/key.h"

namespace omx::migrate {

// /mfs file sessions: what the acceptor tells the forked child.
struct MfsOptions {
  bool nomfs = false;       // mosctl nomfs: this node's files are refused to others
  bool allow_root = false;  // omxd --mfs-root: root's requests run as root
};

class GuestAcceptor final : public daemon::ConnectionHandler {
 public:
  static constexpr size_t kMaxGuests = 256;
  // Guests plus /mfs file sessions (design: 256 of each).
  static constexpr size_t kMaxChildren = 2 * kMaxGuests;
  GuestAcceptor(uint32_t node_id, wire::Key key, bool allow_root)
      : node_id_(node_id), key_(key), allow_root_(allow_root), children_(kMaxChildren) {}
  void on_connection(ScopedFd fd, const daemon::PeerAddress& peer) override;
  // Sends `sig` to every guest supervisor (SIGUSR1: go home, mosctl expel); returns how many.
  size_t signal_all(int sig);
  // Guest supervisors running (children that became /mfs file servers or relays are not counted).
  size_t guests();
  // Whether `pid` is a guest supervisor this acceptor forked, still running.
  bool is_guest(pid_t pid);
  // One line per child still here: "supervisor pid P (connection from ADDR)", or
  // "mfs server pid P (...)", "relay pid P (...)".
  std::vector<std::string> describe_guests();
  // From now on every migration offer is refused (omxd is shutting down).
  void close() { closing_ = true; }
  // Asked at each connection: true refuses the migration (mosctl block).
  void set_block_check(std::function<bool()> f) { blocked_ = std::move(f); }
  // This node's omxd control address, for the guests' automatic balancing.
  void set_control_address(std::string a) { control_address_ = std::move(a); }
  // Asked at each connection: true refuses /mfs requests (mosctl nomfs).
  void set_nomfs_check(std::function<bool()> f) { nomfs_ = std::move(f); }
  // omxd --mfs-root: serve root's /mfs requests as root (default: squashed to 65534).
  void set_mfs_root(bool on) { mfs_root_ = on; }

 private:
  uint32_t node_id_;
  wire::Key key_;
  bool allow_root_;
  ChildLimit children_;
  std::function<bool()> blocked_;
  std::function<bool()> nomfs_;
  bool mfs_root_ = false;
  std::string control_address_;
  bool closing_ = false;
  std::map<pid_t, std::string> peers_;  // where each child's connection came from
};

}  // namespace omx::migrate
