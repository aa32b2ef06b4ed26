#include "cluster/live_map.h"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "base/check.h"

namespace omx::cluster {

LiveMap::LiveMap(NodeMap map, NodeId self) : map_(std::move(map)), self_(self) {
  OMX_CHECK(self == 0 || map_.find(self), "LiveMap: node %u is not in its map", self);
}

int LiveMap::on_map_changed(MapObserver observer) {
  int handle = next_handle_++;
  observers_.emplace_back(handle, std::move(observer));
  return handle;
}

void LiveMap::remove_observer(int handle) {
  std::erase_if(observers_, [handle](const auto& o) { return o.first == handle; });
}

Result<NodeMapDiff> LiveMap::replace(NodeMap next, NodeId self) {
  if (self == 0 || !next.find(self))
    return make_error(ErrorCode::kInvalid,
                      fmt::format("this node ({}) is not in the new map", self));
  return install(std::move(next), self);
}

NodeMapDiff LiveMap::clear() { return install(NodeMap(), 0); }

NodeMapDiff LiveMap::install(NodeMap next, NodeId self) {
  OMX_CHECK(!notifying_, "LiveMap changed from inside one of its observers");
  NodeMapDiff diff = diff_node_maps(map_, next);
  if (diff.empty() && self == self_) return diff;
  NodeMap old = std::exchange(map_, std::move(next));
  NodeId old_self = std::exchange(self_, self);
  ++generation_;
  MapChange change{old, map_, diff, old_self, self_};
  notifying_ = true;
  auto observers = observers_;  // an observer may add or remove observers
  for (auto& [handle, fn] : observers) fn(change);
  notifying_ = false;
  return diff;
}

}  // namespace omx::cluster
