// What the supervisors' automatic balancing feeds the pure balancer (balance/balancer.h): a view
// of each process from /proc (CPU time used, resident set); the node table comes from omxd's
// "nodes" reply (balance/node_views.h). Stateless helpers; thread-safe.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "balance/balancer.h"
#include "balance/node_views.h"

namespace omx::migrate {

// CPU seconds (utime + stime) and resident bytes of `pid`; nullopt if it is gone.
std::optional<balance::ProcView> proc_view(pid_t pid);

// Claims node `to` at omxd (`control`) for one process moving there from `self`, so the other
// supervisors of this node see the move before gossip does; `nodes` is the table the decision
// was made on (its load for `to` is what the caller saw). False: another process claimed it
// first, or omxd did not answer; decide again next round.
bool claim_target(const std::string& control, const std::vector<balance::NodeView>& nodes,
                  balance::NodeId self, balance::NodeId to);

}  // namespace omx::migrate
