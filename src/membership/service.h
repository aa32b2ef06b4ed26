// membership::Service: omxd's part that keeps the node table: the map (static), discovery
// (announcements, when enabled) and signs of life, in a Membership; it answers the control op
// "nodes" with every known node and its state, and tells others where a node listens.
//
//   {"op":"nodes"} -> {"ok":true,"node":SELF,"nodes":[{"id","addr","port","self","state":
//                      "up"|"down","source":"self"|"map"|"discovered","heard_ms_ago"}...]}
//
// Threading: everything on omxd's event loop.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <asio.hpp>

#include "cluster/node_map.h"
#include "daemon/control_server.h"
#include "membership/discovery.h"
#include "membership/membership.h"
#include "wire/key.h"

namespace omx::membership {

struct ServiceOptions {
  bool discovery = false;
  DiscoveryOptions discovery_options;
  int64_t down_after_ms = Membership::kDefaultDownAfterMs;
};

class Service {
 public:
  using OnEvent = std::function<void(const MembershipEvent&)>;

  Service(asio::io_context& io, cluster::NodeId self, cluster::Ipv4 addr, uint16_t port,
          std::optional<wire::Key> key, ServiceOptions options);
  ~Service();

  // Loads the map, starts discovery (if enabled) and the liveness timer.
  Status start(const cluster::NodeMap& map);
  void set_map(const cluster::NodeMap& map);
  // Something was heard from node `id` (or a record about it, age_ms old).
  void heard(cluster::NodeId id, int64_t age_ms = 0);
  // Announces "leaving" and stops the timers.
  void stop();

  void add_ops(daemon::ControlServer& server);
  void on_event(OnEvent f) { listeners_.push_back(std::move(f)); }
  // Adds fields about node `id` to its "nodes" entry (the gossip service's load records).
  void set_describer(std::function<void(cluster::NodeId, nlohmann::json&)> f) { describe_ = std::move(f); }

  struct Endpoint {
    std::string addr;
    uint16_t port = 0;
  };
  std::optional<Endpoint> endpoint(cluster::NodeId id) const;
  const Membership& table() const { return table_; }
  void set_down_after(int64_t ms) { table_.set_down_after(ms); }
  bool discovery() const { return discovery_ != nullptr; }
  static int64_t now_ms();
  // The "nodes" array of the nodes op (each node with its described fields).
  nlohmann::json nodes_json() const;

 private:
  void emit(const std::vector<MembershipEvent>& ev);
  void arm_tick();

  asio::io_context& io_;
  std::optional<wire::Key> key_;
  ServiceOptions opts_;
  Membership table_;
  uint16_t port_;
  std::unique_ptr<Discovery> discovery_;
  asio::steady_timer tick_;
  std::vector<OnEvent> listeners_;
  std::function<void(cluster::NodeId, nlohmann::json&)> describe_;
  bool running_ = false;
};

}  // namespace omx::membership
