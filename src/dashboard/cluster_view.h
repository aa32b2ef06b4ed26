// The dashboard's JSON views built from omxd's replies (docs/api/openapi.yaml, schemas Cluster
// and Processes): pure functions, so unit tests feed them fixed replies.
//
//  * cluster_view: the `nodes` op's reply -> Cluster: every node with "up" and its gossiped
//    figures, plus the whole-cluster row (sums over the nodes that are up, and efficiency).
//  * efficiency: openMosixview's load-balancing efficiency, 100 x mean/max over the up nodes of
//    load / (speed x cpus); 100 when every node is idle (nothing to balance).
//  * processes_row: one row of `omx ps --json` -> a Process (adds "node", the node that listed it).
//
// Thread-safe (pure).
#pragma once

#include <cstdint>

#include <nlohmann/json.hpp>

namespace omx::dashboard {

double efficiency(const nlohmann::json& nodes);
nlohmann::json cluster_view(const nlohmann::json& nodes_reply, int64_t now_ms);
// `omx ps --json` of node `node` -> the Process rows it lists (migratable ones only).
nlohmann::json process_rows(const nlohmann::json& ps_json, uint32_t node);

int64_t now_ms();

}  // namespace omx::dashboard
