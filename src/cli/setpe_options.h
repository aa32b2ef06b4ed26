// setpe's command line and its messages (openMosix setpe(1); shared/reference/
// openmosix-interface.md §1.2; docs/design.md "Cluster map and setpe"):
//
//   setpe -w|-W [-c] [-p ID] [-g N] [-f FILE|-]   load a map into the running omxd
//                                                 (from stdin without -f, or with -f -)
//   setpe -c [-p ID] [-f FILE|-]                   only check a map; nothing is applied
//   setpe -r [-f FILE|-]                           print the running map in map-file syntax
//   setpe -off                                     this node leaves the cluster
//   setpe -p ID                                    set this node's id, keeping the map
//
// omxd accepts -p only for the id it runs as (--node-id): changing a running node's id is
// refused with a hint to restart it (daemon/map_service.h).
// -W is taken as -w (the reference does not say how they differ). -g N (gateways, 0..2) is
// accepted for old init scripts and has no effect: omx nodes reach each other directly.
// --control ADDR names omxd's control socket (default $OMX_CONTROL, else @omx/omxd).
//
// Pure functions (no I/O); thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "cluster/node_map.h"

namespace omx::cli {

enum class SetpeAction { kWrite, kCheck, kRead, kOff, kSetId };

struct SetpeOptions {
  SetpeAction action = SetpeAction::kWrite;
  std::string file;          // "" or "-": stdin (write, check) or stdout (read)
  cluster::NodeId node = 0;  // -p ID; 0 when not given
  std::optional<int> gateways;  // -g N: accepted, no effect
  std::string control;       // "" = the default control address

  bool from_stdin() const { return file.empty() || file == "-"; }
  // How the map is named in messages: the file, or "stdin".
  std::string source_name() const { return from_stdin() ? "stdin" : file; }
};

struct SetpeCommandLine {
  std::optional<SetpeOptions> options;  // empty when help was asked for
  std::string help;
};

// args[0] is the program name ("setpe" or "omx setpe"). Errors are one line.
Result<SetpeCommandLine> parse_setpe_args(const std::vector<std::string>& args);

// "omx configuration changed: This is omx #1 (of 3 configured)" and, when nodes came, went or
// moved, "nodes added: 3; removed: 2; changed: -". From a setmap reply.
std::string format_setmap_reply(const nlohmann::json& reply);

// What `setpe -c` prints for a good map: "FILE: ok: 4 nodes (1-4)[, this node #2]".
std::string format_check_ok(const std::string& source, const cluster::NodeMap& map,
                            cluster::NodeId self);

}  // namespace omx::cli
