// Home supervisor: the ptrace tracer of one `mosrun` process tree on its home node
// (docs/design.md "Processes and roles"). Every process of the tree runs natively until it is
// moved; then the supervisor ships its image to a guest supervisor on the target node, turns
// the original process into the deputy, serves its forwarded system calls, forwards signals
// sent to it, and brings it back when asked or when it makes a call only home can make.
//
// One thread, one poll loop: SIGCHLD (signalfd) for tracee stops, the control socket
// (`@omx/sup/<pid>`, JSON lines: migrate, where, list), one channel per process away, and the
// bounce timer. Exits when the last process of the tree is gone.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace omx::migrate {

struct HomeConfig {
  uint32_t bounce_ms = 0;     // 0: no automatic moves; else move every process this often
  // Automatic balancing (omx run --balance): every second, the processes running here are
  // weighed against the node table by the balancer (balance/balancer.h); at most one moves.
  bool balance = false;
  std::string stats_json;     // written when the root process exits
  std::string control_address;  // omxd's control socket ("" = default)
};

// Supervises the tree rooted at `root`, which the calling thread has already seized.
int run_home_supervisor(pid_t root, const HomeConfig& cfg);

// The control socket address of the supervisor with pid `sup`.
std::string supervisor_address(pid_t sup);

}  // namespace omx::migrate
