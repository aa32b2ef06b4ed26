#include "balance/balancer.h"

#include <algorithm>

#include <fmt/format.h>

namespace omx::balance {
namespace {

// Near-equal choices are broken by a hash of (deciding node, target, process), not by table
// order: every node's table is in id order, and a first-wins rule sent every node's process to
// the same lowest-id idle node (the simulator's herd: hundreds of jobs on one node). The hash
// differs from node to node, so equal targets share the newcomers; it is fixed for a given
// triple, so one node's choice does not flicker from round to round.
uint64_t tie_hash(NodeId self, NodeId target, pid_t pid) {
  uint64_t x = (uint64_t{self} << 32 | target) ^ (static_cast<uint64_t>(pid) * 0x9e3779b97f4a7c15ull);
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;  // splitmix64 finaliser
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

const NodeView* find(const std::vector<NodeView>& nodes, NodeId id) {
  for (const NodeView& n : nodes)
    if (n.id == id) return &n;
  return nullptr;
}

bool movable(const ProcView& p, NodeId self, const NodeView& me) {
  if (p.locked || !p.cantmove.empty()) return false;
  if (me.lstay && p.home == self) return false;  // lstay: local processes stay, guests may go
  return true;
}

// A node that may receive `p`: up, another node, fresh, accepting, with room.
// A process may always go home: block is about other nodes' processes.
bool accepts(const NodeView& n, NodeId home, uint64_t rss, const Policy& pol) {
  return n.up && !n.quiet && (!n.block || n.id == home) && n.mem_free >= rss + pol.mem_reserve;
}

bool can_take(const NodeView& n, NodeId self, const ProcView& p, const Policy& pol) {
  return n.id != self && accepts(n, p.home, p.rss, pol);
}

std::optional<Decision> usher(NodeId self, const NodeView& me, const std::vector<NodeView>& nodes,
                              const std::vector<ProcView>& procs, const Policy& pol) {
  if (me.mem_total == 0 ||
      static_cast<double>(me.mem_free) >= pol.mem_low_fraction * static_cast<double>(me.mem_total))
    return std::nullopt;
  const ProcView* big = nullptr;
  for (const ProcView& p : procs)
    if (movable(p, self, me) && (!big || p.rss > big->rss)) big = &p;
  if (!big) return std::nullopt;
  const NodeView* best = nullptr;
  for (const NodeView& n : nodes)
    if (can_take(n, self, *big, pol) && (!best || n.mem_free > best->mem_free)) best = &n;
  if (!best) return std::nullopt;
  return Decision{big->pid, best->id, 0,
                  fmt::format("memory: {} MiB free of {} MiB here; node {} has {} MiB free",
                              me.mem_free >> 20, me.mem_total >> 20, best->id, best->mem_free >> 20)};
}

}  // namespace

double move_cost(const ProcView& p, NodeId self, NodeId to, const Link& link) {
  bool via_home = p.home != self && to != p.home;
  return link.move_seconds(p.rss) * (via_home ? 2 : 1);
}

NodeId best_node(const std::vector<NodeView>& nodes, NodeId current, NodeId home, uint64_t rss,
                 bool counted, const Policy& pol, double home_wait) {
  const NodeView* cur = find(nodes, current);
  if (!cur) return current;
  double cur_rate = rate_on(*cur, counted ? std::max(1.0, procs_of(*cur)) : procs_of(*cur) + 1) *
                    io_factor(home_wait, home, current, pol);
  auto rate = [&](const NodeView& n) {
    return rate_on(n, others_on(n, home_wait, home, current) + (counted ? pol.stab_factor : 1.0)) *
           io_factor(home_wait, home, n.id, pol);
  };
  double top = cur_rate;
  for (const NodeView& n : nodes)
    if (n.id != current && accepts(n, home, rss, pol)) top = std::max(top, rate(n));
  if (top <= cur_rate) return current;
  NodeId best = current;
  uint64_t best_hash = 0;
  for (const NodeView& n : nodes) {  // better than here and within tie_tolerance of the best
    if (n.id == current || !accepts(n, home, rss, pol)) continue;
    double r = rate(n);
    if (r <= cur_rate || r < top * (1 - pol.tie_tolerance)) continue;
    uint64_t h = tie_hash(current, n.id, static_cast<pid_t>(rss));
    if (best == current || h < best_hash) {
      best = n.id;
      best_hash = h;
    }
  }
  return best;
}

double speed_factor(const std::vector<NodeView>& nodes, NodeId id) {
  const NodeView* n = find(nodes, id);
  return n && n->speed ? static_cast<double>(n->speed) / kStdSpeed : 1.0;
}

uint32_t one_process_load(const std::vector<NodeView>& nodes, NodeId id) {
  const NodeView* n = find(nodes, id);
  if (!n) return kLoadPerProcess;
  return static_cast<uint32_t>(uint64_t{kLoadPerProcess} * kStdSpeed /
                               (uint64_t{std::max<uint32_t>(1, n->speed)} * std::max<uint16_t>(1, n->cpus)));
}

double procs_of(const NodeView& n) {
  return static_cast<double>(n.load) * n.speed * std::max<uint16_t>(1, n.cpus) /
         (static_cast<double>(kLoadPerProcess) * kStdSpeed);
}

double rate_on(const NodeView& n, double procs) {
  double cpus = std::max<uint16_t>(1, n.cpus);
  return n.speed * std::min(1.0, procs > 0 ? cpus / procs : 1.0);
}

double others_on(const NodeView& n, double home_wait, NodeId home, NodeId current) {
  double procs = procs_of(n);
  if (n.id != home || current == home) return procs;
  return std::max(0.0, procs - std::clamp(home_wait, 0.0, 1.0));
}

double io_factor(double home_wait, NodeId home, NodeId on, const Policy& pol) {
  if (on == home) return 1.0;
  return std::max(pol.min_io_factor, 1.0 - std::clamp(home_wait, 0.0, 1.0));
}

std::optional<Decision> decide(NodeId self, const std::vector<NodeView>& nodes,
                               const std::vector<ProcView>& procs, const Link& link,
                               const Policy& pol) {
  const NodeView* me = find(nodes, self);
  if (!me || me->stay) return std::nullopt;
  if (auto d = usher(self, *me, nodes, procs, pol)) return d;
  // This node's rate counts every process already here (at least the candidate itself).
  double here_rate = rate_on(*me, std::max(1.0, procs_of(*me)));
  struct Option {
    const ProcView* p;
    const NodeView* n;
    double gain, remaining, move_s;
  };
  std::vector<Option> options;
  for (const ProcView& p : procs) {
    if (!movable(p, self, *me) || p.resident_s < pol.min_residency_s || p.hint == Hint::kIo) continue;
    // Expected remaining CPU work (standard-speed seconds): as much as it used, and for a
    // CPU-bound process (mosrun -c) at least cpu_hint_work_s.
    double work = p.cpu_seconds;
    if (p.hint == Hint::kCpu) work = std::max(work, pol.cpu_hint_work_s);
    double remaining_here = work * kStdSpeed / (here_rate * io_factor(p.home_wait, p.home, self, pol));
    for (const NodeView& n : nodes) {
      if (!can_take(n, self, p, pol)) continue;
      double move_s = move_cost(p, self, n.id, link);
      if (remaining_here < pol.pay_factor * move_s) continue;  // too young to pay for this move
      double there_rate = rate_on(n, others_on(n, p.home_wait, p.home, self) + pol.stab_factor) *
                          io_factor(p.home_wait, p.home, n.id, pol);
      double gain = remaining_here - (move_s + work * kStdSpeed / there_rate);
      if (gain <= pol.min_gain_s || gain <= move_s) continue;
      options.push_back({&p, &n, gain, remaining_here, move_s});
    }
  }
  if (options.empty()) return std::nullopt;
  double top = 0;
  for (const Option& o : options) top = std::max(top, o.gain);
  const Option* pick = nullptr;
  uint64_t pick_hash = 0;
  for (const Option& o : options) {
    if (o.gain < top * (1 - pol.tie_tolerance)) continue;
    uint64_t h = tie_hash(self, o.n->id, o.p->pid);
    if (!pick || h < pick_hash) {
      pick = &o;
      pick_hash = h;
    }
  }
  std::string waits = pick->p->home_wait >= 0.005
                          ? fmt::format("; waits {:.0f} % of its time for home", pick->p->home_wait * 100)
                          : "";
  return Decision{pick->p->pid, pick->n->id, pick->gain,
                  fmt::format("load: expected {:.1f} s here, {:.1f} s on node {} (move {:.2f} s){}",
                              pick->remaining, pick->remaining - pick->gain, pick->n->id, pick->move_s,
                              waits)};
}

}  // namespace omx::balance
