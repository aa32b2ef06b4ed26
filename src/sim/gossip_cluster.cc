#include "sim/gossip_cluster.h"

namespace omx::sim {

using gossip::NodeId;

GossipCluster::GossipCluster(GossipClusterOptions options)
    : options_(options),
      network_(queue_, options.link, options.seed * 7919 + 1),
      nodes_(options.nodes + 1),
      rng_(options.seed) {
  OMX_CHECK(options_.nodes >= 1 && options_.nodes <= gossip::kMaxNodeId, "sim: %zu nodes",
            options_.nodes);
  network_.set_receiver([this](SimNodeId from, SimNodeId to, std::vector<uint8_t> p) {
    deliver(from, to, std::move(p));
  });
}

void GossipCluster::start_all() {
  for (NodeId id = 1; id <= options_.nodes; ++id) start_node(id);
}

void GossipCluster::start_node(NodeId id) {
  OMX_CHECK(id >= 1 && id <= options_.nodes, "sim: node %u", id);
  Node& n = nodes_[id];
  ++n.epoch;
  ++n.generation;
  n.created.emplace_back(1, queue_.now());  // seq 0 (never sent)
  gossip::GossipConfig cfg = options_.engine;
  cfg.self = id;
  cfg.generation = n.generation;
  cfg.seed = options_.seed * 1000003 + id * 7 + n.generation;
  if (!options_.full_membership) cfg.learn_from_gossip = true;
  gossip::Time t = engine_time(queue_.now());
  n.engine = std::make_unique<gossip::GossipEngine>(cfg, t);
  if (options_.full_membership) {
    for (NodeId o = 1; o <= options_.nodes; ++o) n.engine->add_node(o, t);
  } else {
    for (size_t i = 0; i < options_.bootstrap_peers && options_.nodes > 1; ++i) {
      rng_ = rng_ * 6364136223846793005ull + 1442695040888963407ull;
      n.engine->add_node(static_cast<NodeId>(1 + (rng_ >> 33) % options_.nodes), t);
    }
  }
  network_.set_up(id, true);
  schedule_tick(id);
}

void GossipCluster::kill_node(NodeId id) {
  Node& n = nodes_[id];
  ++n.epoch;
  n.engine.reset();
  network_.set_up(id, false);
}

bool GossipCluster::alive(NodeId id) const {
  return id < nodes_.size() && nodes_[id].engine != nullptr;
}

gossip::GossipEngine* GossipCluster::engine(NodeId id) {
  return id < nodes_.size() ? nodes_[id].engine.get() : nullptr;
}

const gossip::GossipEngine* GossipCluster::engine(NodeId id) const {
  return id < nodes_.size() ? nodes_[id].engine.get() : nullptr;
}

void GossipCluster::schedule_tick(NodeId id) {
  Node& n = nodes_[id];
  SimTime when = std::chrono::duration_cast<SimTime>(n.engine->next_tick());
  uint64_t epoch = n.epoch;
  queue_.at(when, [this, id, epoch] { on_tick(id, epoch); });
}

void GossipCluster::on_tick(NodeId id, uint64_t epoch) {
  Node& n = nodes_[id];
  if (n.epoch != epoch || !n.engine) return;
  if (before_tick_) before_tick_(id, *n.engine);
  auto out = n.engine->tick(engine_time(queue_.now()));
  if (out) {
    note_created(id);
    network_.send(id, out->to, std::move(out->payload));
  }
  schedule_tick(id);
}

void GossipCluster::note_created(NodeId id) {
  Node& n = nodes_[id];
  uint32_t seq = n.engine->record(id, engine_time(queue_.now()))->record.seq;
  std::vector<SimTime>& times = n.created.back();
  if (times.size() <= seq) times.resize(seq + 1, queue_.now());
  times[seq] = queue_.now();
}

void GossipCluster::deliver(NodeId from, NodeId to, std::vector<uint8_t> payload) {
  gossip::GossipEngine* e = engine(to);
  if (e == nullptr) return;
  auto r = e->on_message(engine_time(queue_.now()), from, payload);
  if (!r.ok()) {
    ++decode_errors_;
    return;
  }
  if (r->reply) {
    note_created(to);
    network_.send(to, r->reply->to, std::move(r->reply->payload));
  }
}

std::optional<SimTime> GossipCluster::true_age(const gossip::LoadRecord& r) const {
  if (r.node >= nodes_.size()) return std::nullopt;
  const Node& n = nodes_[r.node];
  if (r.generation == 0 || r.generation > n.created.size()) return std::nullopt;
  const std::vector<SimTime>& times = n.created[r.generation - 1];
  if (r.seq >= times.size()) return std::nullopt;
  return queue_.now() - times[r.seq];
}

}  // namespace omx::sim
