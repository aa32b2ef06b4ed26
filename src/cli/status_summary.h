// StatusSummary: `omx status`'s one-screen summary of the cluster, built from omxd's `nodes`
// reply (and this node's `settings`) by pure functions, so it can be unit-tested.
//
// Per node: state, load (100 = one busy standard CPU), speed, CPUs, memory used/total, guests,
// local processes, migrations in the last minute. Totals count the nodes that are up. The
// fields "local_procs" and "migrations_1m" (migrations completed in the last 60 s by
// processes homed on that node) read as 0 when a node's record lacks them; the cluster's
// migrations in the last minute is their sum. The balancer state: this node's switches
// (stay/lstay/block/quiet) and which nodes have each one set.
//
// Threading: plain values and pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace omx::cli {

struct StatusNode {
  uint32_t id = 0;
  bool up = false;
  bool self = false;
  uint64_t load = 0, speed = 0, ncpus = 0;
  uint64_t mem_used = 0, mem_total = 0;  // bytes
  uint64_t guests = 0, local_procs = 0, migrations_1m = 0;
  bool stay = false, lstay = false, block = false, quiet = false;
};

struct StatusSummary {
  uint32_t self = 0;
  std::vector<StatusNode> nodes;  // by id
  std::vector<uint32_t> up, down;
  uint64_t load = 0, ncpus = 0, mem_used = 0, mem_total = 0, guests = 0, local_procs = 0;
  uint64_t migrations_1m = 0;
  bool stay = false, lstay = false, block = false, quiet = false;  // this node's switches
};

// nodes_reply: the `nodes` op's reply; settings: the `settings` op's reply (this node's
// switches; an empty object: take them from this node's own record).
StatusSummary make_status_summary(const nlohmann::json& nodes_reply, const nlohmann::json& settings);
nlohmann::json status_json(const StatusSummary& s);
std::string status_text(const StatusSummary& s);

// The one line mosmon and omx status print when no omxd answers on `address`:
// "no omxd on this node: start it with `omxd` (or `systemctl start omxd`); ADDR: REASON".
std::string no_omxd(const std::string& address, const Error& e);

}  // namespace omx::cli
