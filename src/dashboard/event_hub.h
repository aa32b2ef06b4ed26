// EventHub: the one producer behind every /api/v1/events stream (Server-Sent Events). While at
// least one stream is open, its thread takes a Cluster snapshot every second and a Processes
// snapshot every second one (ClusterSource caches them, so the REST routes share the work) and
// publishes each as a numbered SSE event; streams wait for numbers newer than the last they sent.
// At most kMaxStreams streams are open at once (open() refuses more).
//
// Event text: "event: cluster\ndata: {one line of JSON}\n\n" (likewise "processes").
//
// Threading: thread-safe; open/next/close are called from HTTP worker threads, the producer is
// the hub's own thread. stop() (and the destructor) wakes every waiting stream.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "dashboard/cluster_source.h"

namespace omx::dashboard {

inline constexpr int kMaxStreams = 32;
inline constexpr std::chrono::seconds kKeepalive{15};

class EventHub {
 public:
  explicit EventHub(ClusterSource& source);
  ~EventHub();
  EventHub(const EventHub&) = delete;
  EventHub& operator=(const EventHub&) = delete;

  // Registers a stream; false when kMaxStreams are open. Sets `seq` to the newest event and
  // returns the first events to send at once (a cluster and a processes event).
  bool open(uint64_t& seq, std::string& first);
  void close();
  // Waits up to `timeout` for events newer than `seq`; returns their text ("" on timeout or
  // stop) and advances seq. A stream that fell behind gets only what the hub still holds.
  std::string next(uint64_t& seq, std::chrono::milliseconds timeout);
  bool stopped() const;
  void stop();

  static std::string format_event(const char* name, const nlohmann::json& data);

 private:
  void run();
  void publish(std::string text);

  ClusterSource& source_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<uint64_t, std::string>> events_;  // the latest few, oldest first
  uint64_t seq_ = 0;
  int streams_ = 0;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace omx::dashboard
