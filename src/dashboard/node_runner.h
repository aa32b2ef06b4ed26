// NodeRunner: how the dashboard runs a CLI command as a user on a node of the cluster. The
// production runner (relay_runner.cc) uses the relay library: run_as on this node, relay_run
// through the other node's omxd otherwise; tests substitute a fake. Keeping this a plain
// std::function keeps the HTTP layer free of process and wire code.
//
// Thread-safe: runners are called from the HTTP server's worker threads at the same time.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/result.h"

namespace omx::dashboard {

struct Target {
  uint32_t node = 0;
  std::string addr;   // the node's wire address (unused for this node)
  uint16_t port = 0;  // its wire port
  bool self = false;  // this server's node: run here
};

struct User {
  uid_t uid = 0;
  gid_t gid = 0;
};

struct CommandResult {
  int exit_code = 0;  // -signal when killed
  std::string out, err;
  bool timed_out = false;
};

// An error Result: the command did not run (node unreachable: kSys/kTimeout; refused: kRefused).
using NodeRunner = std::function<Result<CommandResult>(const Target&, const User&,
                                                       const std::vector<std::string>& argv,
                                                       std::chrono::milliseconds timeout)>;

// run_as here, relay_run elsewhere (the key is fetched from omxd's op "key" on first use).
NodeRunner relay_runner(std::string control, uint32_t self_node);

}  // namespace omx::dashboard
