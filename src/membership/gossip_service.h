// GossipService: omxd's side of the load-information exchange. Drives a gossip::GossipEngine
// (pure) with asio: a UDP socket on the node's address (default port 5428), a timer at the
// engine's next step, sealed datagrams (wire/datagram.h, kGossipLoad; wrong key, malformed,
// replayed: dropped, counted, logged at most once a second). Feeds the engine this node's own
// record: the openMosix load (run queue sampled every 100 ms, smoothed once a second,
// normalised by speed and CPUs; gossip/load_meter.h), memory, utilizability, the speed measured
// at start-up (gossip/speed_calibration.h) or set by mosctl setspeed, and the mosctl status
// bits. Keeps the engine's members in step with the node table (membership::Service) and tells
// the table which nodes are alive. Adds each node's record to the "nodes" op:
//   "load", "speed", "ncpus", "mem_free", "mem_total", "mem_used" (bytes), "util" (%),
//   "status" {stay,lstay,block,quiet}, "local_procs" (migratable processes homed there that
//   run there), "guests", "migrations_1m" (moves completed in the last 60 s by processes homed
//   there; daemon/process_registry.h), "record_age_ms", and for this
//   node "load_now": the last second's load, unsmoothed, for local decisions (others see
//   upper_load, which rises at once and falls slowly: after processes left, a balancer reading
//   it would keep moving the ones that remain)
// and answers {"op":"gossip"} with the engine's counters, and {"op":"claim","to":N,"load":L,
// "self_load":S,"seen":V}: a supervisor about to move a process by itself (automatic balancing,
// home or guest) claims the target. Granted unless N's load as shown now is L/2 or more above V,
// the load the caller decided on (another process claimed N meanwhile: optimistic concurrency).
// Until a record of N made 1.5 s after the claim
// arrives (at most 5 s) the table shows L more on N and S less here, so the next supervisor
// does not follow the same stale picture (the herd effect of several balancers acting at once).
// {"op":"place","rss":B} -> {"to":N}: where a process starting here should run (mosrun -b;
// balance::best_node over the table, this node by its mean_load: a burst's own launches do not
// count), with one more process shown there at once, so a burst of starts spreads over the
// nodes instead of all choosing the same idle one.
//
// Threading: omxd's event loop.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <vector>
#include <optional>

#include <asio.hpp>
#include <nlohmann/json.hpp>

#include "daemon/control_server.h"
#include "daemon/node_settings.h"
#include "gossip/gossip_engine.h"
#include "gossip/load_meter.h"
#include "gossip/load_probe.h"
#include "gossip/speed_calibration.h"
#include "membership/datagram_endpoint.h"
#include "membership/service.h"
#include "wire/datagram.h"

namespace omx::membership {

inline constexpr uint16_t kDefaultGossipPort = 5428;

struct GossipOptions {
  uint16_t port = kDefaultGossipPort;
  // 400 ms, not MOSIX's 500: in a 16-node cluster the oldest record then stays under 2 s
  // (simulated: 1.86 s max over 300 s; at 500 ms it reaches 2.3 s). 5 small datagrams a second.
  std::chrono::milliseconds step{400};
  std::optional<uint32_t> speed;  // skip the calibration (tests, or a configured speed)
  bool load_own_cgroup = false;   // gossip::LoadProbe::set_count_own_cgroup
};

class GossipService {
 public:
  GossipService(asio::io_context& io, const wire::Key& key, Service& table,
                daemon::SettingsStore& settings, GossipOptions options);
  ~GossipService();

  // Calibrates the speed (about 0.2 s, unless given), binds the socket, starts the timers.
  Status start();
  void stop();
  void add_ops(daemon::ControlServer& server);
  // This node's record fields for the node table (load etc.), by node id.
  void describe(cluster::NodeId id, nlohmann::json& j) const;
  const gossip::GossipEngine& engine() const { return *engine_; }
  // How many guests this node hosts now (the record's "guests"; omxd's guest acceptor).
  void set_guest_count(std::function<size_t()> f) { guest_count_ = std::move(f); }
  // The record's "local_procs" and "migrations_1m" (omxd's daemon::ProcessRegistry).
  void set_process_counts(std::function<size_t()> local_procs, std::function<size_t()> migrations_1m) {
    local_procs_ = std::move(local_procs);
    migrations_1m_ = std::move(migrations_1m);
  }

 private:
  gossip::Time now() const;
  void arm_step();
  void arm_sample();
  void on_sample();
  void update_local();
  void send(const gossip::Outgoing& out);
  void on_datagram(const wire::Datagram& d);
  void on_table_event(const MembershipEvent& e);
  nlohmann::json claim(const nlohmann::json& req);
  nlohmann::json place(const nlohmann::json& req);
  // Pending claimed load on `id` not yet visible in a record made at `record_made`.
  int64_t pending_load(cluster::NodeId id, gossip::Time record_made) const;
  // The load the node table shows for `id` now (this node: load_now); -1 if unknown.
  int64_t shown_load(cluster::NodeId id) const;
  void add_pending(cluster::NodeId to, int64_t load, int64_t self_load);

  Service& table_;
  daemon::SettingsStore& settings_;
  GossipOptions opts_;
  std::unique_ptr<gossip::GossipEngine> engine_;
  gossip::LoadMeter meter_;
  gossip::LoadProbe probe_;
  gossip::NodeSpeed speed_;
  gossip::LoadInputs inputs_;
  DatagramEndpoint endpoint_;
  asio::steady_timer step_timer_, sample_timer_;
  bool running_ = false;
  std::function<size_t()> guest_count_, local_procs_, migrations_1m_;
  // Automatic moves this node's supervisors announced ({"op":"claim"}): load added to the
  // target and taken off this node in the table until gossip shows the move (a record made
  // kClaimSettleMs after the claim, at most kClaimHoldMs).
  struct Pending {
    int64_t delta = 0;
    gossip::Time made{0}, until{0};
  };
  std::map<cluster::NodeId, std::vector<Pending>> pending_;
};

}  // namespace omx::membership
