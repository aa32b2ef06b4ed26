#include "sim/event_queue.h"

#include <algorithm>

namespace omx::sim {

void EventQueue::at(SimTime when, Action a) {
  heap_.push_back(Event{std::max(when, now_), next_order_++, std::move(a)});
  std::push_heap(heap_.begin(), heap_.end(), later);
}

bool EventQueue::step() {
  if (heap_.empty()) return false;
  std::pop_heap(heap_.begin(), heap_.end(), later);
  Event e = std::move(heap_.back());
  heap_.pop_back();
  now_ = e.when;
  ++executed_;
  e.action();
  return true;
}

void EventQueue::run_until(SimTime end) {
  while (!heap_.empty() && heap_.front().when <= end) step();
  now_ = std::max(now_, end);
}

}  // namespace omx::sim
