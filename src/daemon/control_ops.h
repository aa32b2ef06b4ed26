// The control ops omxd answers (the table in ControlServer; one function per op):
//
//   {"op":"ping"}          -> {"ok":true,"node":N}
//   {"op":"nodes"}         -> {"ok":true,"nodes":[{"id":1,"addr":"A","port":P,"self":true},...]}
//   {"op":"node","id":N}   -> {"ok":true,"id":N,"addr":"A","port":P} or an error reply
//
// omxd adds more ops elsewhere: "guests", "expel", "shutdown" (daemon/main.cc); "claim",
// "place", "gossip" and the load fields of "nodes" (membership/gossip_service.h); and the
// process ops of daemon/process_registry.h:
//   {"op":"procs"}         -> {"ok":true,"node":N,"local_procs":N,"guests":[{"pid","home",
//                             "home_pid","uid","comm","lock","supervisor"},...]}
//   {"op":"migrations"}    -> {"ok":true,"events":[...],"last_1m":N,"total":N}
//   {"op":"migrated",...}, {"op":"home_procs","here":N}  (from home supervisors)
//   {"op":"guest_started",...}                           (from guest supervisors)
//
// Every node of the static map listens on the same wire port as this daemon (the map has no
// port column). To add an op: write `json op_x(const NodeContext&, const ControlRequest&)` and
// one add_op line in add_node_ops.
//
// Threading: handlers run on the event loop thread; NodeContext must outlive the server.
#pragma once

#include <string>

#include <cstdint>

#include "cluster/node_map.h"
#include "daemon/control_server.h"

namespace omx::daemon {

struct NodeContext {
  cluster::NodeId self = 0;
  const cluster::NodeMap* map = nullptr;
  uint16_t port = 0;
  std::string key_file;  // the cluster key ("" = none), served to root callers by op "key"
};

void add_node_ops(ControlServer& server, const NodeContext& node);

}  // namespace omx::daemon
