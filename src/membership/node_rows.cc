#include "membership/node_rows.h"

#include <algorithm>

namespace omx::membership {

std::vector<NodeRow> fold_rows(std::vector<std::pair<cluster::NodeId, cluster::Ipv4>> nodes,
                               cluster::NodeId first_row_for) {
  std::sort(nodes.begin(), nodes.end());
  std::vector<NodeRow> rows;
  for (const auto& [id, addr] : nodes) {
    if (!rows.empty()) {
      NodeRow& last = rows.back();
      if (id == last.first + last.count && addr.value == last.addr.value + last.count) {
        ++last.count;
        continue;
      }
    }
    rows.push_back({id, addr, 1});
  }
  auto mine = std::find_if(rows.begin(), rows.end(), [&](const NodeRow& r) {
    return first_row_for >= r.first && first_row_for < r.first + r.count;
  });
  if (mine != rows.end()) std::rotate(rows.begin(), mine, mine + 1);
  return rows;
}

}  // namespace omx::membership
