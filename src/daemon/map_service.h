// MapService: omxd's side of `setpe` (docs/design.md "Cluster map and setpe"). Control ops on
// the node's LiveMap, and the gate that keeps a node which left the cluster out of it:
//
//   {"op":"map"}                     -> {"ok":true,"node":N,"configured":B,"generation":G,
//                                        "count":C,"map":"TEXT"}  (TEXT in map-file grammar)
//   {"op":"setmap","map":"TEXT"[,"source":"NAME"][,"node":ID]}
//                                    -> {"ok":true,"node":N,"previous_node":P,"count":C,
//                                        "message":"This is omx #N (of C configured)",
//                                        "added":[..],"removed":[..],"modified":[..]}
//   {"op":"setmap","node":ID}        -> the same, keeping the current table (setpe -p ID)
//   {"op":"clearmap"}                -> {"ok":true,"node":N,"removed":[..]}   (setpe -off)
//
// "node" (setpe -p) must be this node's id: the migration engine, discovery and membership use
// the --node-id omxd started with, so a different id is refused (restart omxd to change it).
// setmap and clearmap are for root only (the caller's uid from SO_PEERCRED); their refusal
// carries "refused":true. The map text must hold addresses only: setpe resolves host names
// before sending (a lookup would block the event loop), so a name is an error here. A new map
// is refused, and the running one kept, when it is malformed (errors as "NAME:line: reason"),
// when this node's id is not in it, or when this node's entry does not hold the address omxd
// listens on (moving the listener needs a restart). After clearmap the node has no table and
// refuses wire connections until a map is loaded again; its id is remembered for that.
//
// Threading: everything on omxd's event loop thread.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "cluster/live_map.h"
#include "daemon/connection_handler.h"
#include "daemon/control_server.h"

namespace omx::daemon {

class MapService {
 public:
  // listen_ip: the address the wire listener is bound to ("0.0.0.0": any).
  MapService(cluster::LiveMap& map, std::string listen_ip);
  ~MapService();
  MapService(const MapService&) = delete;
  MapService& operator=(const MapService&) = delete;

  void add_ops(ControlServer& server);

  nlohmann::json op_map(const ControlRequest& req) const;
  nlohmann::json op_setmap(const ControlRequest& req);
  nlohmann::json op_clearmap(const ControlRequest& req);

 private:
  Status check_self(const cluster::NodeMap& map, cluster::NodeId self) const;

  cluster::LiveMap& map_;
  std::string listen_ip_;
  cluster::NodeId last_self_;  // this node's id, kept while not configured
  int observer_ = 0;
};

// Passes wire connections on to `inner` while the node is configured; otherwise logs and
// closes them.
class MapGate : public ConnectionHandler {
 public:
  MapGate(const cluster::LiveMap& map, ConnectionHandler& inner) : map_(map), inner_(inner) {}
  void on_connection(ScopedFd fd, const PeerAddress& peer) override;

 private:
  const cluster::LiveMap& map_;
  ConnectionHandler& inner_;
};

}  // namespace omx::daemon
