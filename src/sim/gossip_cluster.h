// GossipCluster: N GossipEngines (the production code, unchanged) on a simulated network and a
// virtual clock. Each engine's tick() is scheduled at its own next_tick(); what it returns is
// sent through SimNetwork; what arrives is handed to on_message() as omxd would. Nodes can be
// started, killed and restarted (a restart is a new generation, as a restarted daemon).
//
// The simulator also remembers when each origin created each record version, so statistics can
// use the *true* age of a held record (now - creation), not only the engine's estimate (which
// omits transit time). The balancer simulator reuses this class: set_before_tick() lets it feed
// each node's load into set_local() just before the node gossips.
//
// Threading: single-threaded.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "gossip/gossip_engine.h"
#include "sim/event_queue.h"
#include "sim/sim_network.h"

namespace omx::sim {

struct GossipClusterOptions {
  size_t nodes = 16;            // ids 1..nodes
  gossip::GossipConfig engine;  // self, generation and seed are set per node
  LinkModel link;
  uint64_t seed = 1;
  // true: every node starts knowing every other (a static map). false: each starts knowing
  // bootstrap_peers random others and learns the rest from gossip (learn_from_gossip).
  bool full_membership = true;
  size_t bootstrap_peers = 16;
};

class GossipCluster {
 public:
  explicit GossipCluster(GossipClusterOptions options);

  EventQueue& queue() { return queue_; }
  SimNetwork& network() { return network_; }
  SimTime now() const { return queue_.now(); }
  size_t size() const { return options_.nodes; }
  static gossip::Time engine_time(SimTime t) { return std::chrono::duration_cast<gossip::Time>(t); }

  void start_all();
  void start_node(gossip::NodeId id);  // (re)start with a new generation
  void kill_node(gossip::NodeId id);   // crash: no goodbye, in-flight receipts are lost
  bool alive(gossip::NodeId id) const;
  gossip::GossipEngine* engine(gossip::NodeId id);
  const gossip::GossipEngine* engine(gossip::NodeId id) const;

  void run_until(SimTime t) { queue_.run_until(t); }
  void set_before_tick(std::function<void(gossip::NodeId, gossip::GossipEngine&)> f) {
    before_tick_ = std::move(f);
  }

  // now - the time the origin created this version; nullopt for a version the simulator never saw.
  std::optional<SimTime> true_age(const gossip::LoadRecord& r) const;
  uint64_t decode_errors() const { return decode_errors_; }

 private:
  struct Node {
    std::unique_ptr<gossip::GossipEngine> engine;
    uint64_t epoch = 0;       // bumps on start/kill: stale tick events see a different value
    uint64_t generation = 0;  // restarts so far
    // created[g - 1][seq]: when generation g made record seq.
    std::vector<std::vector<SimTime>> created;
  };

  void schedule_tick(gossip::NodeId id);
  void on_tick(gossip::NodeId id, uint64_t epoch);
  void note_created(gossip::NodeId id);  // the node just made a new record version
  void deliver(gossip::NodeId from, gossip::NodeId to, std::vector<uint8_t> payload);

  GossipClusterOptions options_;
  EventQueue queue_;
  SimNetwork network_;
  std::vector<Node> nodes_;  // index = node id
  std::function<void(gossip::NodeId, gossip::GossipEngine&)> before_tick_;
  uint64_t decode_errors_ = 0;
  uint64_t rng_;
};

}  // namespace omx::sim
