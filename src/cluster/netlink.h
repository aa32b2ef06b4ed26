// Netlink: the few rtnetlink requests the local cluster needs (create a bridge or a veth pair,
// bring a link up, enslave it to a bridge, add an IPv4 address), sent on a NETLINK_ROUTE socket
// bound to one network namespace. Every request is acknowledged; a refusal comes back as errno
// plus the kernel's extended-ack text when it gives one.
//
// We talk netlink directly instead of running iproute2's `ip`: five small requests, errors with
// errno instead of parsed text, no dependency on the `ip` binary or its version.
//
// A socket belongs to the namespace that was current when it was created (open_in switches the
// calling thread there and back). Blocking; one request at a time; not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/scoped_fd.h"
#include "cluster/node_map.h"

namespace omx::cluster {

class Netlink {
 public:
  // A socket in the calling thread's network namespace.
  static Result<Netlink> open();
  // A socket in the network namespace `netns_fd`.
  static Result<Netlink> open_in(int netns_fd);

  Status create_bridge(const std::string& name);
  // Creates veth `name` in this socket's namespace with its peer `peer_name` placed directly in
  // the namespace `peer_netns_fd`.
  Status create_veth(const std::string& name, const std::string& peer_name, int peer_netns_fd);
  Result<int> link_index(const std::string& name);
  Status set_up(int ifindex);
  Status set_master(int ifindex, int master_ifindex);
  Status add_ipv4(int ifindex, Ipv4 addr, int prefix_len);

 private:
  explicit Netlink(ScopedFd fd) : fd_(std::move(fd)) {}
  // Sends msg (its nlmsghdr is completed here) and waits for the reply with its sequence
  // number: an ack (returns no payload) or, for a GET, the answer (returned raw).
  Result<std::vector<char>> transact(std::vector<char> msg, const std::string& what);

  ScopedFd fd_;
  uint32_t seq_ = 0;
};

}  // namespace omx::cluster
