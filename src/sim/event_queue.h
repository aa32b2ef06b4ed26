// EventQueue: a discrete-event simulation clock. Actions are scheduled at virtual times and run
// in time order (ties in scheduling order, so runs are deterministic). Nothing here knows about
// gossip or balancing: the gossip simulator (bench/gossip_sim) and the balancer simulator share it.
//
// Threading: single-threaded; actions may schedule further actions.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <vector>

namespace omx::sim {

using SimTime = std::chrono::microseconds;

class EventQueue {
 public:
  using Action = std::function<void()>;

  SimTime now() const { return now_; }
  // Schedules `a` at `when` (an earlier time means now).
  void at(SimTime when, Action a);
  void after(SimTime delay, Action a) { at(now_ + delay, std::move(a)); }

  // Runs the earliest action; false if there is none.
  bool step();
  // Runs every action due at or before `end`, then sets the clock to `end`.
  void run_until(SimTime end);

  size_t pending() const { return heap_.size(); }
  uint64_t executed() const { return executed_; }

 private:
  struct Event {
    SimTime when;
    uint64_t order;
    Action action;
  };
  // Min-heap on (when, order).
  static bool later(const Event& a, const Event& b) {
    return a.when != b.when ? a.when > b.when : a.order > b.order;
  }

  SimTime now_{0};
  uint64_t next_order_ = 0;
  uint64_t executed_ = 0;
  std::vector<Event> heap_;
};

}  // namespace omx::sim
