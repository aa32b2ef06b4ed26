// GuestAcceptor: omxd's handler for incoming wire connections. Each connection gets its own
// forked process at once (the daemon's event loop never waits on a peer): the child runs the
// authenticated handshake, reads the session owner (kSessionOwner, the first sealed frame: whose
// process this is, stated by the initiating node's omxd; session_owner.h) and the next frame;
// for a kMigrateOffer it becomes the guest supervisor of that process, which runs with the
// owner's credentials. A peer without the cluster key gets no further than the handshake. At
// most kMaxGuests children run at once; further connections are refused. Once close() was
// called (omxd shuts down cleanly) every offer is refused ("node N is shutting down").
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

class GuestAcceptor final : public daemon::ConnectionHandler {
 public:
  static constexpr size_t kMaxGuests = 256;
  GuestAcceptor(uint32_t node_id, wire::Key key, bool allow_root)
      : node_id_(node_id), key_(key), allow_root_(allow_root), children_(kMaxGuests) {}
  void on_connection(ScopedFd fd, const daemon::PeerAddress& peer) override;
  // Sends `sig` to every guest supervisor (SIGUSR1: go home, mosctl expel); returns how many.
  size_t signal_all(int sig);
  size_t guests() { children_.reap(); return children_.size(); }
  // Whether `pid` is a guest supervisor this acceptor forked, still running.
  bool is_guest(pid_t pid) { children_.reap(); return children_.pids().contains(pid); }
  // One line per guest supervisor still here: "supervisor pid P (connection from ADDR)".
  std::vector<std::string> describe_guests();
  // From now on every migration offer is refused (omxd is shutting down).
  void close() { closing_ = true; }
  // Asked at each connection: true refuses the migration (mosctl block).
  void set_block_check(std::function<bool()> f) { blocked_ = std::move(f); }
  // This node's omxd control address, for the guests' automatic balancing.
  void set_control_address(std::string a) { control_address_ = std::move(a); }

 private:
  uint32_t node_id_;
  wire::Key key_;
  bool allow_root_;
  ChildLimit children_;
  std::function<bool()> blocked_;
  std::string control_address_;
  bool closing_ = false;
  std::map<pid_t, std::string> peers_;  // where each child's connection came from
};

}  // namespace omx::migrate
