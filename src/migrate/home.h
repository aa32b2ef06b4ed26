// Home supervisor: the ptrace tracer of one `mosrun` process tree on its home node
// (docs/design.md "Processes and roles"). Every process of the tree runs natively until it is
// moved; then the supervisor ships its image to a guest supervisor on the target node, turns
// the original process into the deputy, serves its forwarded system calls, forwards signals
// sent to it, and brings it back when asked or when it makes a call only home can make.
//
// One thread, one poll loop: SIGCHLD (signalfd) for tracee stops, the control socket
// (`@omx/sup/<pid>`, JSON lines: migrate (to a node, "home" or "balance"), lock, unlock, where,
// list), one channel per process away, and the bounce and balancing timers. Exits when the last process of the tree is gone.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace omx::migrate {

struct HomeConfig {
  uint32_t bounce_ms = 0;     // 0: no automatic moves; else move every process this often
  // Automatic balancing (mosrun's default, omx run --balance): every second, the processes
  // running here are weighed against the node table by the balancer (balance/balancer.h); at
  // most one moves. Processes away are weighed by the guest supervisor where they run, which
  // asks home to move them (kBalanceMove).
  bool balance = false;
  bool locked = false;        // the root starts locked (mosrun -L, -h, -ID, -j); children inherit
  uint8_t hint = 0;           // balance::Hint for the whole tree (mosrun -c / -i)
  // Placement at start, once the program has been exec'd: move it to start_on (mosrun -ID,
  // -jLIST: chosen before), or to the node omxd's "place" op names (mosrun -b).
  uint32_t start_on = 0;      // 0: none
  bool start_best = false;
  std::string stats_json;     // written when the root process exits
  std::string control_address;  // omxd's control socket ("" = default)
};

// Supervises the tree rooted at `root`, which the calling thread has already seized.
int run_home_supervisor(pid_t root, const HomeConfig& cfg);

// The control socket address of the supervisor with pid `sup`.
std::string supervisor_address(pid_t sup);

}  // namespace omx::migrate
