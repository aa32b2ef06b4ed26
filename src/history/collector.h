// omx::history::Collector: openMosixcollector as a thread. Every `interval` it takes a Cluster and a
// Processes snapshot through the two functions it was given (the dashboard server passes the same
// functions that answer /api/v1/cluster and /api/v1/processes) and records them in a Store.
// A failed cluster snapshot skips the sample; a failed process snapshot still records the loads
// (without a process list). Both count as failures in stats().
//
// Threading: start(), stop() and stats() may be called from any thread; the snapshot functions
// run on the collector's own thread, one at a time. stop() wakes the thread at once (condition
// variable), waits for a snapshot in progress to finish, and is idempotent; the destructor stops.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "history/store.h"

namespace omx::history {

class Collector {
 public:
  using Snapshot = std::function<Result<nlohmann::json>()>;

  Collector(Store& store, std::chrono::milliseconds interval, Snapshot cluster_snapshot,
            Snapshot processes_snapshot);
  ~Collector();
  Collector(const Collector&) = delete;
  Collector& operator=(const Collector&) = delete;

  // Starts the thread (the first sample is taken at once); a second start() does nothing.
  void start();
  void stop();

  struct Stats {
    uint64_t samples = 0;   // records written
    uint64_t failures = 0;  // snapshots or records that failed
    std::string last_error;
  };
  Stats stats() const;
  std::chrono::milliseconds interval() const { return interval_; }

 private:
  void run();
  void sample_once();
  void fail(const std::string& what);

  Store& store_;
  std::chrono::milliseconds interval_;
  Snapshot cluster_snapshot_, processes_snapshot_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
  Stats stats_;
};

}  // namespace omx::history
