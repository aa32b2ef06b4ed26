// The balancer's node table (balance/balancer.h NodeView) from omxd's {"op":"nodes"} reply
// (membership/service.h, fields added by membership/gossip_service.h). Pure; thread-safe.
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "balance/balancer.h"

namespace omx::balance {

// Nodes of a {"op":"nodes"} reply (or of {"nodes":[...]}); entries without a load record count
// as down; this node's entry uses "load_now" (its own current view) when present.
std::vector<NodeView> node_views(const nlohmann::json& reply);

}  // namespace omx::balance
