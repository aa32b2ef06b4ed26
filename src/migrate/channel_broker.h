// ChannelBroker: omxd's service that opens authenticated channels to other nodes for the
// processes of its own node, so that a user's home supervisor can migrate the user's processes
// without ever holding the cluster key (which only root can read).
//
//   client (any local process)            omxd (root, holds the key)              node N
//   --------------------------            --------------------------              ------
//   connect to "<control>.broker"
//   request {version, node N}      ->     forks a child, which:
//                                          reads the caller's uid/gid/groups from the kernel
//                                            (SO_PEERCRED, SO_PEERGROUPS)
//                                          connects to N, handshake with the cluster key  <->
//                                          sends kSessionOwner{caller's credentials}       ->
//                                  <-     reply {ok, handoff} + the socket (SCM_RIGHTS)
//   Channel::adopt(socket, handoff)
//
// The guest at N takes the owner frame as the session's identity (session_owner.h), so a user
// gets a channel that acts for that user only. Messages (SOCK_SEQPACKET, little-endian):
//   request: version u32 (kBrokerVersion) | node u32
//   reply:   status u8 (0 ok: ChannelHandoff follows, the socket attached; 1 error: reason str)
//
// Threading: on_connection runs on omxd's event loop and only forks; the child does the
// blocking work and exits. broker_connect is a blocking client call.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "base/result.h"
#include "base/scoped_fd.h"
#include "migrate/child_limit.h"
#include "wire/channel.h"
#include "wire/key.h"

namespace omx::migrate {

inline constexpr uint32_t kBrokerVersion = 1;

class ChannelBroker {
 public:
  struct Endpoint {
    std::string addr;
    uint16_t port = 0;
  };
  using Lookup = std::function<std::optional<Endpoint>(uint32_t node)>;
  static constexpr size_t kMaxPending = 64;

  ChannelBroker(uint32_t node_id, wire::Key key, Lookup lookup)
      : node_id_(node_id), key_(key), lookup_(std::move(lookup)), children_(kMaxPending) {}
  // Takes one accepted SOCK_SEQPACKET connection; never blocks.
  void on_connection(ScopedFd fd);

 private:
  [[noreturn]] void child_main(ScopedFd fd);
  Result<std::pair<ScopedFd, wire::ChannelHandoff>> open_for(int client, uint32_t node);

  uint32_t node_id_;
  wire::Key key_;
  Lookup lookup_;
  ChildLimit children_;
};

// Asks the broker at `broker_address` for a channel to `node`; waits at most `timeout`.
Result<wire::Channel> broker_connect(const std::string& broker_address, uint32_t node,
                                     wire::Duration timeout);

}  // namespace omx::migrate
