#include "dashboard/event_hub.h"

namespace omx::dashboard {

using nlohmann::json;

EventHub::EventHub(ClusterSource& source) : source_(source), thread_([this] { run(); }) {}

EventHub::~EventHub() {
  stop();
  thread_.join();
}

std::string EventHub::format_event(const char* name, const json& data) {
  return std::string("event: ") + name + "\ndata: " + data.dump() + "\n\n";
}

bool EventHub::open(uint64_t& seq, std::string& first) {
  {
    std::lock_guard lock(mu_);
    if (stop_ || streams_ >= kMaxStreams) return false;
    ++streams_;
    seq = seq_;
    cv_.notify_all();  // wakes the producer if it was idle
  }
  first.clear();
  if (auto c = source_.cluster(); c.ok()) first += format_event("cluster", *c);
  if (auto p = source_.processes(); p.ok()) first += format_event("processes", *p);
  return true;
}

void EventHub::close() {
  std::lock_guard lock(mu_);
  --streams_;
}

bool EventHub::stopped() const {
  std::lock_guard lock(mu_);
  return stop_;
}

void EventHub::stop() {
  std::lock_guard lock(mu_);
  stop_ = true;
  cv_.notify_all();
}

std::string EventHub::next(uint64_t& seq, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return stop_ || seq_ > seq; });
  std::string out;
  for (const auto& [n, text] : events_)
    if (n > seq) out += text;
  seq = seq_;
  return out;
}

void EventHub::publish(std::string text) {
  std::lock_guard lock(mu_);
  events_.emplace_back(++seq_, std::move(text));
  while (events_.size() > 8) events_.pop_front();
  cv_.notify_all();
}

void EventHub::run() {
  uint64_t tick = 0;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stop_ || streams_ > 0; });  // idle while nobody listens
      if (stop_) return;
    }
    auto started = std::chrono::steady_clock::now();
    if (auto c = source_.cluster(); c.ok()) publish(format_event("cluster", *c));
    if (tick++ % 2 == 1)
      if (auto p = source_.processes(); p.ok()) publish(format_event("processes", *p));
    std::unique_lock lock(mu_);
    cv_.wait_until(lock, started + std::chrono::seconds(1), [&] { return stop_; });
    if (stop_) return;
  }
}

}  // namespace omx::dashboard
