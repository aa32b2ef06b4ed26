// Balancer: which process of this node should move where, as pure functions (no I/O, no clock):
// the caller passes the node table (gossip records), this node's migratable processes and the
// measured link, and gets at most one decision per call. The same code runs in omxd and in the
// simulator (issue 4). Reference §4.3 (MOSIX policy as re-implemented by Kerrighed) and §4.4.
//
// Model. Loads are speed-normalised (gossip: 100 = one runnable process on a standard-speed CPU),
// so the number of runnable processes on node n is procs(n) = load * speed * cpus / (100 * 10000).
// A CPU-bound process on n progresses at rate(n) = speed * min(1, cpus / procs), procs counting
// it. A process that has used CPU time T is expected to need about as much again (the usual
// "past predicts future" rule for unknown run times); at rate r it finishes in T * 10000 / r.
//
// Load balancing, for each candidate and each possible target:
//   * candidate: on this node, not locked, no cantmove reason, not a local process under lstay,
//     resident here at least min_residency, and old enough to pay for its move: its expected
//     remaining time is at least pay_factor x the move time (resident set / link rate + fixed);
//   * target: up, not this node, fresh record (not quiet), not blocking guests, with room for the
//     resident set;
//   * the target's procs counts the process stab_factor times (1.3: MOSIX's 130 %): the
//     anti-ping-pong margin, so two nodes do not trade a process back and forth;
//   * gain = remaining here - (move time + remaining there); moves only if gain > min_gain and
//     gain > move time (the move must pay for itself). The best gain wins; gains within
//     tie_tolerance of the best count as equal and a hash of (this node, target, pid) picks
//     among them, so nodes whose tables are all in id order do not all send to one target.
// A node with `stay` moves nothing automatically.
//
// Waiting for home (design mfs-dfsa §4; reference §4.6: without DFSA every I/O goes home). A
// process away forwards its system calls home and waits for each reply; ProcView::home_wait is
// the fraction of its wall time spent so waiting (the guest's IoMeter, about the last 2 s; for a
// process at home, the last value heard from its body, halved every 60 s at home). Everywhere but
// its home node the process progresses at rate(n) * (1 - home_wait); at home its calls are native
// and it progresses at rate(home). (1 - home_wait) is floored at min_io_factor (0.05), so a
// process blocked on home counts as 20 times slower away, not infinitely. While it is away, its
// home's load includes the deputy and home supervisor serving its calls (measured: a body
// forwarding ~6000 1-byte reads/s, home_wait ~0.7, kept its otherwise idle home at load 86-100
// in `omx status`), work that ends when it comes home: for its own home the process counts
// procs(home) - home_wait (others_on; its wait stands for the time home spends on its calls,
// an overestimate by the network latency, so the error leans towards coming home).
// Consequences, with the rules above unchanged (stab_factor, pay_factor, min_gain, the move's
// cost):
//   * a guest waiting 90 % of its time on an idle node comes home even to a home showing load
//     300 (rate 0.1 away vs 1/(3 - 0.9 + 1.3) = 0.29 at home);
//   * a guest waiting 5 % stays (0.95 away vs 1/1.3 = 0.77 at an idle home), and a CPU-bound
//     guest (0 %) never goes home for an equally loaded one;
//   * a waiter is not sent on to a third node (it would wait there as much, and pay two moves);
//   * at home, a process that came back for its I/O is not sent out again while its remembered
//     wait makes it slower away than here.
// The expected remaining work stays the CPU time used so far (standard-speed seconds): a body
// that mostly waits uses little CPU, so its gains are small and min_gain_s delays its return
// until it has used enough (balance_io: 2-5 s after the move).
//
// Memory ushering: when this node's free memory is under mem_low_fraction of its total, the
// movable process with the largest resident set goes to the up node with the most free memory
// that can take it with mem_reserve to spare, whatever the loads (still not to blocking, quiet or
// stay-ignoring rules: stay still holds).
//
// Threading: pure; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace omx::balance {

using NodeId = uint32_t;
inline constexpr uint32_t kStdSpeed = 10000;
inline constexpr uint32_t kLoadPerProcess = 100;

struct NodeView {
  NodeId id = 0;
  bool up = true;
  uint32_t load = 0;  // speed-normalised, as gossiped
  uint32_t speed = kStdSpeed;
  uint16_t cpus = 1;
  uint64_t mem_free = 0, mem_total = 0;  // bytes
  bool stay = false, lstay = false, block = false, quiet = false;
};

enum class Hint : uint8_t { kNone = 0, kCpu = 1, kIo = 2 };  // mosrun -c / -i

struct ProcView {
  pid_t pid = 0;
  NodeId home = 0;            // home node (local process when home == this node)
  uint64_t rss = 0;           // resident set, bytes (what a move sends)
  double cpu_seconds = 0;     // CPU time used so far, in standard-speed seconds (speed_factor)
  double resident_s = 0;      // time since it arrived on this node (or started)
  bool locked = false;        // mosrun -L / omx lock
  std::string cantmove;       // non-empty: cannot move (openMosix reason)
  Hint hint = Hint::kNone;
  double home_wait = 0;            // 0..1: fraction of wall time waiting on home (see above)
  double home_io_bytes_per_s = 0;  // forwarded bytes per second (informational)
};

struct Link {
  double bytes_per_s = 100e6;  // measured transfer rate to other nodes
  double fixed_s = 0.02;       // per-move cost (freeze, handshake, restore)
  double move_seconds(uint64_t bytes) const { return fixed_s + static_cast<double>(bytes) / bytes_per_s; }
};

struct Policy {
  double stab_factor = 1.3;         // anti-ping-pong: the mover counts 1.3 processes at the target
  double min_residency_s = 2.0;     // no move within this long of arriving
  double pay_factor = 2.0;          // remaining time >= pay_factor x move time
  double min_gain_s = 0.5;          // ignore smaller gains
  double cpu_hint_work_s = 10.0;    // mosrun -c: expected remaining work at least this
  double tie_tolerance = 0.05;      // gains (best_node: rates) this close to the best are ties
  double mem_low_fraction = 0.10;   // ushering below 10 % free
  uint64_t mem_reserve = 64ull << 20;  // a target keeps this much free after taking a process
  double min_io_factor = 0.05;      // floor of (1 - home_wait) away from home
};

struct Decision {
  pid_t pid = 0;
  NodeId to = 0;
  double gain_s = 0;   // expected finishing-time gain (0 for ushering)
  std::string reason;  // "load" or "memory", with figures, for logs and `omx status`
};

// Node `id`'s speed / kStdSpeed (1 if unknown): CPU seconds measured there times this are
// standard-speed seconds, the unit of ProcView::cpu_seconds.
double speed_factor(const std::vector<NodeView>& nodes, NodeId id);
// The normalised load one more runnable process adds on node `id` (kLoadPerProcess on a
// standard single-CPU node; less on faster or wider ones); kLoadPerProcess if unknown.
uint32_t one_process_load(const std::vector<NodeView>& nodes, NodeId id);
// Number of runnable processes a node's normalised load stands for.
double procs_of(const NodeView& n);
// Progress rate (in standard-speed units) of one process on n with `procs` runnable ones.
double rate_on(const NodeView& n, double procs);
// The processes a move to `n` would join: procs_of(n), except on the home of a process away
// from it (current != home), whose load includes the work of serving that process's forwarded
// calls, which ends when it comes home: there procs_of(n) - home_wait, at least 0.
double others_on(const NodeView& n, double home_wait, NodeId home, NodeId current);
// What waiting for home leaves of a process's rate on node `on`: 1 at its home, else
// max(min_io_factor, 1 - home_wait).
double io_factor(double home_wait, NodeId home, NodeId on, const Policy& policy = {});

// The cost in seconds of moving `p` from `self` to `to` (two moves when it must pass through its
// home on the way to a third node).
double move_cost(const ProcView& p, NodeId self, NodeId to, const Link& link);

// Where a process should run, for placement at start (mosrun -b) and `migrate PID balance`: the
// node (up, fresh, accepting, with room for `rss`) where one more process progresses fastest.
// `current` is where it is now; `counted` says whether the current node's load already
// includes it (false at start). Another node must beat the current one with the process
// counted there stab_factor times (the anti-ping-pong margin); the current node wins unless
// another is strictly better; among the others within tie_tolerance of the best a hash of
// (current, node, rss) picks, so nodes placing at once do not all choose the same one.
// `home_wait`: the process's, as in decide() (rates away from home times io_factor).
// Returns `current` when nowhere is better (or nothing is known).
NodeId best_node(const std::vector<NodeView>& nodes, NodeId current, NodeId home, uint64_t rss,
                 bool counted, const Policy& policy = {}, double home_wait = 0);

std::optional<Decision> decide(NodeId self, const std::vector<NodeView>& nodes,
                               const std::vector<ProcView>& procs, const Link& link,
                               const Policy& policy = {});

}  // namespace omx::balance
