// LiveMap: the node's current cluster table, kept in one place, and the hook through which
// other parts learn that it changed (`setpe -w`, `setpe -p`, `setpe -off`).
//
// The map is replaced whole: replace() takes a complete new table and this node's id in it;
// clear() drops the table (`setpe -off`: the node no longer takes part until a map is loaded
// again). Observers registered with on_map_changed() are called after every change with the old
// and the new table and their difference, so membership code can treat a node missing from the
// new map as leaving and a new one as joining. The NodeMap object map() returns stays at the
// same address for the LiveMap's lifetime (its contents are replaced), so holding a pointer to
// it is fine; holding references into it (entries) across a change is not.
//
// Threading: not thread-safe; in omxd everything runs on the event loop thread. Observers run
// synchronously inside replace()/clear() and must not change the map themselves (checked).
#pragma once

#include <functional>
#include <vector>

#include "base/result.h"
#include "cluster/node_map.h"

namespace omx::cluster {

struct MapChange {
  const NodeMap& old_map;
  const NodeMap& new_map;
  const NodeMapDiff& diff;
  NodeId old_self = 0;  // 0: the node was not configured
  NodeId new_self = 0;  // 0: the node is not configured any more (setpe -off)
};

using MapObserver = std::function<void(const MapChange&)>;

class LiveMap {
 public:
  LiveMap(NodeMap map, NodeId self);
  LiveMap(const LiveMap&) = delete;
  LiveMap& operator=(const LiveMap&) = delete;

  const NodeMap& map() const { return map_; }
  NodeId self() const { return self_; }         // 0 when not configured
  bool configured() const { return self_ != 0; }
  uint64_t generation() const { return generation_; }  // +1 on every change

  // Registers an observer; returns a handle for remove_observer.
  int on_map_changed(MapObserver observer);
  void remove_observer(int handle);

  // Installs `next` with this node as `self`, which must be in it; on error nothing changes.
  // Returns the difference to the previous table (observers are called even if it is empty
  // but self changed; not at all when nothing changed).
  Result<NodeMapDiff> replace(NodeMap next, NodeId self);
  // Drops the table: every node counts as removed, self becomes 0.
  NodeMapDiff clear();

 private:
  NodeMapDiff install(NodeMap next, NodeId self);

  NodeMap map_;
  NodeId self_ = 0;
  uint64_t generation_ = 0;
  int next_handle_ = 1;
  bool notifying_ = false;
  std::vector<std::pair<int, MapObserver>> observers_;
};

}  // namespace omx::cluster
