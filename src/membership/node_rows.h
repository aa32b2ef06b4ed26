// Folding a node table into openMosix map rows: consecutive ids at consecutive addresses become
// one row "first-id address count", as `setpe -r` and `showmap` print them (reference §1.7,
// thesis diagrams 4 and 5). Pure; thread-safe.
#pragma once

#include <utility>
#include <vector>

#include "cluster/node_map.h"

namespace omx::membership {

struct NodeRow {
  cluster::NodeId first = 0;
  cluster::Ipv4 addr;
  uint32_t count = 0;
  bool operator==(const NodeRow&) const = default;
};

// `nodes` in any order; rows come out with `first_row_for`'s row first (showmap lists the
// node's own row first; 0 = none), then by id.
std::vector<NodeRow> fold_rows(std::vector<std::pair<cluster::NodeId, cluster::Ipv4>> nodes,
                               cluster::NodeId first_row_for = 0);

}  // namespace omx::membership
