// What the home supervisor's automatic balancing (omx run --balance) feeds the pure balancer
// (balance/balancer.h): the node table from omxd's "nodes" reply and a view of each process from
// /proc (CPU time used, resident set). Stateless helpers; thread-safe.
#pragma once

#include <sys/types.h>

#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "balance/balancer.h"

namespace omx::migrate {

// Nodes of a {"op":"nodes"} reply; entries without a load record count as down.
std::vector<balance::NodeView> node_views(const nlohmann::json& reply);
// CPU seconds (utime + stime) and resident bytes of `pid`; nullopt if it is gone.
std::optional<balance::ProcView> proc_view(pid_t pid);

}  // namespace omx::migrate
