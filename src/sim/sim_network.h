// SimNetwork: a simulated datagram network on an EventQueue. Each datagram is delayed by a
// one-way latency drawn from LinkModel (a fixed base plus an exponential tail), lost with
// probability `loss`, and dropped if its destination is down when it arrives (a node that dies
// takes its in-flight receipts with it, as a crashed host would). Payloads are opaque bytes.
//
// Threading: single-threaded, like the EventQueue it runs on.
#pragma once

#include <cstdint>
#include <functional>
#include <random>
#include <vector>

#include "sim/event_queue.h"

namespace omx::sim {

using SimNodeId = uint32_t;

struct LinkModel {
  SimTime base_latency{100};  // one way
  SimTime tail_mean{100};     // mean of the exponential part added to base_latency
  double loss = 0.0;          // probability that a datagram is lost
};

struct NetworkStats {
  uint64_t sent = 0;
  uint64_t sent_bytes = 0;
  uint64_t delivered = 0;
  uint64_t lost = 0;     // by the loss model
  uint64_t to_down = 0;  // destination (or sender) down
};

class SimNetwork {
 public:
  using Receiver = std::function<void(SimNodeId from, SimNodeId to, std::vector<uint8_t> payload)>;

  SimNetwork(EventQueue& queue, LinkModel link, uint64_t seed);

  void set_receiver(Receiver r) { receiver_ = std::move(r); }
  // A down node's sends are dropped and nothing is delivered to it.
  void set_up(SimNodeId n, bool up);
  bool is_up(SimNodeId n) const { return n < up_.size() && up_[n]; }

  void send(SimNodeId from, SimNodeId to, std::vector<uint8_t> payload);
  SimTime sample_latency();

  const NetworkStats& stats() const { return stats_; }
  const LinkModel& link() const { return link_; }

 private:
  EventQueue& queue_;
  LinkModel link_;
  std::mt19937_64 rng_;
  std::vector<bool> up_;
  Receiver receiver_;
  NetworkStats stats_;
};

}  // namespace omx::sim
