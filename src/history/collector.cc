#include "history/collector.h"

#include <fmt/format.h>

#include "base/log.h"

namespace omx::history {
namespace {

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

Collector::Collector(Store& store, std::chrono::milliseconds interval, Snapshot cluster_snapshot,
                     Snapshot processes_snapshot)
    : store_(store),
      interval_(interval.count() > 0 ? interval : std::chrono::milliseconds(1000)),
      cluster_snapshot_(std::move(cluster_snapshot)),
      processes_snapshot_(std::move(processes_snapshot)) {}

Collector::~Collector() { stop(); }

void Collector::start() {
  std::lock_guard lk(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void Collector::stop() {
  std::thread t;
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
    t = std::move(thread_);
  }
  cv_.notify_all();
  if (t.joinable()) t.join();
}

Collector::Stats Collector::stats() const {
  std::lock_guard lk(mu_);
  return stats_;
}

void Collector::fail(const std::string& what) {
  bool first;
  {
    std::lock_guard lk(mu_);
    first = stats_.failures++ == 0 || stats_.last_error != what;
    stats_.last_error = what;
  }
  // Once per distinct error, not once a second while a node stays silent.
  if (first) log::get("history")->warn("collector: {}", what);
}

void Collector::sample_once() {
  int64_t t = now_ms();
  auto cluster = cluster_snapshot_ ? cluster_snapshot_()
                                   : Result<nlohmann::json>(make_error(ErrorCode::kInvalid, "no cluster snapshot function"));
  if (!cluster.ok()) {
    fail("cluster snapshot: " + cluster.error().message());
    return;
  }
  nlohmann::json procs = nullptr;
  if (processes_snapshot_) {
    auto p = processes_snapshot_();
    if (p.ok()) procs = std::move(*p);
    else fail("processes snapshot: " + p.error().message());
  }
  Status st = store_.record(t, *cluster, procs);
  if (!st.ok()) {
    fail("record: " + st.error().message());
    return;
  }
  std::lock_guard lk(mu_);
  ++stats_.samples;
}

// Samples on a fixed cadence (start + k * interval); after a slow sample it skips the missed
// ticks instead of bursting.
void Collector::run() {
  auto next = std::chrono::steady_clock::now();
  for (;;) {
    {
      std::unique_lock lk(mu_);
      if (cv_.wait_until(lk, next, [this] { return stopping_; })) return;
    }
    sample_once();
    next += interval_;
    auto now = std::chrono::steady_clock::now();
    if (next < now) next = now + interval_ - (now - next) % interval_;
  }
}

}  // namespace omx::history
