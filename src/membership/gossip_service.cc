#include "membership/gossip_service.h"

#include <cmath>

#include <fmt/format.h>

#include "balance/node_views.h"
#include "base/log.h"
#include "daemon/control_protocol.h"

namespace omx::membership {
namespace {

constexpr std::chrono::milliseconds kSampleInterval{100};  // 10 samples = one 1 s period
constexpr gossip::Time kClaimHoldMs{5000};  // load period 1 s + record age p99 ~1.3 s, with margin
// A record created this long after a claim shows the move (it takes well under 0.5 s; the
// load meter's period is 1 s): the claim's pending load is no longer added to it.
constexpr gossip::Time kClaimSettleMs{1500};

auto log() { return log::get("gossip"); }

uint16_t status_bits(const daemon::NodeSettings& s) {
  using gossip::StatusBit;
  uint16_t b = 0;
  if (s.stay) b |= gossip::bit(StatusBit::kStay);
  if (s.lstay) b |= gossip::bit(StatusBit::kLstay);
  if (s.block) b |= gossip::bit(StatusBit::kBlock);
  if (s.quiet) b |= gossip::bit(StatusBit::kQuiet);
  return b;
}

}  // namespace

GossipService::GossipService(asio::io_context& io, const wire::Key& key, Service& table,
                             daemon::SettingsStore& settings, GossipOptions options)
    : table_(table),
      settings_(settings),
      opts_(options),
      meter_(static_cast<uint32_t>(std::chrono::seconds(1) / kSampleInterval)),
      endpoint_(io, key, table.table().self(), wire::MsgType::kGossipLoad, "gossip"),
      step_timer_(io),
      sample_timer_(io) {}

GossipService::~GossipService() { stop(); }

gossip::Time GossipService::now() const {
  return std::chrono::duration_cast<gossip::Time>(std::chrono::steady_clock::now().time_since_epoch());
}

Status GossipService::start() {
  probe_.set_count_own_cgroup(opts_.load_own_cgroup);
  if (opts_.speed) {
    speed_.set_measured(*opts_.speed);
  } else {
    gossip::Calibration c = gossip::calibrate_speed();
    speed_.set_measured(c.speed);
    log()->info("speed {} (calibrated: {:.0f} chunks/s over {} ms)", c.speed, c.chunks_per_second,
                std::chrono::duration_cast<std::chrono::milliseconds>(c.wall).count());
  }
  if (settings_.get().speed) speed_.set_override(*settings_.get().speed);
  gossip::GossipConfig cfg;
  cfg.self = table_.table().self();
  cfg.generation = wire::wall_clock_ms();
  cfg.step = opts_.step;
  cfg.seed = cfg.generation ^ (uint64_t{cfg.self} << 32);
  engine_ = std::make_unique<gossip::GossipEngine>(cfg, now());
  for (const auto& [id, m] : table_.table().members())
    if (id != cfg.self) engine_->add_node(id, now());
  table_.on_event([this](const MembershipEvent& e) { on_table_event(e); });
  table_.set_describer([this](cluster::NodeId id, nlohmann::json& j) { describe(id, j); });
  settings_.on_change([this](const daemon::NodeSettings& s) {
    if (s.speed) speed_.set_override(*s.speed);
    else speed_.clear_override();
    update_local();
  });

  const Member* me = table_.table().find(cfg.self);
  asio::error_code ec;
  asio::ip::udp::endpoint ep(asio::ip::address_v4(me->addr.value), opts_.port);
  endpoint_.socket().open(asio::ip::udp::v4(), ec);
  if (!ec) endpoint_.socket().bind(ep, ec);
  if (ec)
    return make_error(ErrorCode::kSys, fmt::format("gossip: bind {}:{}: {}", me->addr.to_string(),
                                                   opts_.port, ec.message()));
  if (auto in = probe_.read(); in.ok()) inputs_ = *in;
  update_local();
  running_ = true;
  endpoint_.start([this](const wire::Datagram& d) { on_datagram(d); });
  arm_step();
  arm_sample();
  log()->info("node {}: gossip on {}:{}, step {} ms, speed {}", cfg.self, me->addr.to_string(),
              opts_.port, opts_.step.count(), speed_.effective());
  return ok_status();
}

void GossipService::stop() {
  if (!running_) return;
  running_ = false;
  step_timer_.cancel();
  sample_timer_.cancel();
  endpoint_.close();
}

void GossipService::on_table_event(const MembershipEvent& e) {
  using Kind = MembershipEvent::Kind;
  if (!engine_ || e.id == engine_->self()) return;
  if (e.kind == Kind::kLeft) engine_->remove_node(e.id);
  else if (!engine_->is_member(e.id)) engine_->add_node(e.id, now());
}

void GossipService::update_local() {
  if (!engine_) return;
  const daemon::NodeSettings& s = settings_.get();
  gossip::LocalState l = engine_->local();
  l.speed = speed_.effective();
  l.load = gossip::normalized_load(meter_.upper_load(), l.speed, inputs_.effective_cpus);
  l.ncpus = static_cast<uint16_t>(std::max(1.0, std::round(inputs_.effective_cpus)));
  l.util = inputs_.util;
  l.status = status_bits(s);
  l.free_mem_mib = static_cast<uint32_t>(inputs_.mem.available_kib / 1024);
  l.total_mem_mib = static_cast<uint32_t>(inputs_.mem.total_kib / 1024);
  auto u16 = [](size_t n) { return static_cast<uint16_t>(std::min<size_t>(n, UINT16_MAX)); };
  if (guest_count_) l.guests = u16(guest_count_());
  if (local_procs_) l.local_procs = u16(local_procs_());
  if (migrations_1m_) l.migrations_1m = u16(migrations_1m_());
  engine_->set_local(l);
}

void GossipService::arm_step() {
  auto wait = engine_->next_tick() - now();
  step_timer_.expires_after(std::max(wait, gossip::Time(0)));
  step_timer_.async_wait([this](asio::error_code ec) {
    if (ec || !running_) return;
    if (auto out = engine_->tick(now())) send(*out);
    arm_step();
  });
}

void GossipService::arm_sample() {
  sample_timer_.expires_after(kSampleInterval);
  sample_timer_.async_wait([this](asio::error_code ec) {
    if (ec || !running_) return;
    on_sample();
    arm_sample();
  });
}

void GossipService::on_sample() {
  auto n = probe_.read_nr_running();
  if (!n.ok() || !meter_.sample(*n)) return;
  // A period ended: refresh everything else, and tell the table who is alive.
  if (auto in = probe_.read(); in.ok()) inputs_ = *in;
  update_local();
  gossip::Time t = now();
  // Without discovery, records are the only sign of life: a node is down when the engine says
  // (its threshold grows with the cluster); with it, announcements every 0.5 s decide.
  if (!table_.discovery()) table_.set_down_after(engine_->down_after().count());
  for (const gossip::HeldRecord& h : engine_->records(t))
    if (h.record.node != engine_->self()) table_.heard(h.record.node, h.age.count());
}

void GossipService::send(const gossip::Outgoing& out) {
  const Member* m = table_.table().find(out.to);
  if (!m) return;
  endpoint_.send(out.payload, asio::ip::udp::endpoint(asio::ip::address_v4(m->addr.value), opts_.port));
}

void GossipService::on_datagram(const wire::Datagram& d) {
  auto merged = engine_->on_message(now(), d.sender, d.payload);
  if (!merged.ok()) return endpoint_.drop(merged.error().message());
  table_.heard(d.sender);
  if (merged->reply) send(*merged->reply);
}

void GossipService::describe(cluster::NodeId id, nlohmann::json& j) const {
  if (!engine_) return;
  auto h = engine_->record(id, now());
  if (!h) return;
  const gossip::LoadRecord& r = h->record;
  constexpr uint64_t kMiB = 1024 * 1024;
  int64_t pending = pending_load(id, now() - h->age);
  j["load"] = std::max<int64_t>(0, int64_t{r.load} + pending);
  if (id == engine_->self()) {  // local decisions: the last second's load, not the smoothed one
    int64_t now_load = gossip::normalized_load(meter_.period_load(), speed_.effective(), inputs_.effective_cpus);
    j["load_now"] = std::max<int64_t>(0, now_load + pending);
  }
  j["speed"] = r.speed;
  j["ncpus"] = r.ncpus;
  j["mem_free"] = uint64_t{r.free_mem_mib} * kMiB;
  j["mem_total"] = uint64_t{r.total_mem_mib} * kMiB;
  j["mem_used"] = (uint64_t{r.total_mem_mib} - std::min(r.free_mem_mib, r.total_mem_mib)) * kMiB;
  j["util"] = r.util;
  j["status"] = {{"stay", r.has(gossip::StatusBit::kStay)},
                 {"lstay", r.has(gossip::StatusBit::kLstay)},
                 {"block", r.has(gossip::StatusBit::kBlock)},
                 {"quiet", r.has(gossip::StatusBit::kQuiet)}};
  j["local_procs"] = r.local_procs;
  j["guests"] = r.guests;
  j["migrations_1m"] = r.migrations_1m;
  j["record_age_ms"] = h->age.count();
}

int64_t GossipService::pending_load(cluster::NodeId id, gossip::Time record_made) const {
  int64_t sum = 0;
  gossip::Time t = now();
  if (auto it = pending_.find(id); it != pending_.end())
    for (const Pending& p : it->second)
      if (p.until > t && record_made < p.made + kClaimSettleMs) sum += p.delta;
  return sum;
}

int64_t GossipService::shown_load(cluster::NodeId id) const {
  auto h = engine_->record(id, now());
  if (!h) return -1;
  int64_t base = h->record.load;
  if (id == engine_->self())
    base = gossip::normalized_load(meter_.period_load(), speed_.effective(), inputs_.effective_cpus);
  return std::max<int64_t>(0, base + pending_load(id, now() - h->age));
}

void GossipService::add_pending(cluster::NodeId to, int64_t load, int64_t self_load) {
  gossip::Time t = now();
  for (auto& [id, list] : pending_)  // forget what gossip has shown by now
    std::erase_if(list, [t](const Pending& p) { return p.until <= t; });
  pending_[to].push_back({load, t, t + kClaimHoldMs});
  if (self_load) pending_[engine_->self()].push_back({-self_load, t, t + kClaimHoldMs});
}

nlohmann::json GossipService::claim(const nlohmann::json& req) {
  cluster::NodeId to = req.at("to").get<cluster::NodeId>();
  int64_t load = req.at("load").get<int64_t>(), self_load = req.value("self_load", int64_t{0});
  int64_t seen = req.at("seen").get<int64_t>();
  if (load < 0 || load > 1000000 || self_load < 0 || self_load > 1000000 || seen < 0)
    return daemon::error_reply("claim: loads out of range");
  // Optimistic: granted unless the target looks busier now, by half a process or more, than
  // when the caller decided (another process claimed it meanwhile, or gossip brought news).
  if (shown_load(to) >= seen + (load + 1) / 2)
    return daemon::error_reply(fmt::format("node {} was just chosen by another process; try again", to));
  add_pending(to, load, self_load);
  return daemon::ok_reply();
}

nlohmann::json GossipService::place(const nlohmann::json& req) {
  uint64_t rss = req.value("rss", uint64_t{0});
  std::vector<balance::NodeView> views = balance::node_views({{"nodes", table_.nodes_json()}});
  cluster::NodeId self = engine_->self();
  // This node as mean_load shows it (rises slowly, falls at once), plus what was placed: the
  // last second's load is full of the burst's own launches (K shells, mosruns and supervisors
  // starting at once), which made a burst send nearly everything away (2 nodes: 6 of 8).
  for (balance::NodeView& v : views)
    if (v.id == self) {
      int64_t mean = gossip::normalized_load(meter_.mean_load(), speed_.effective(), inputs_.effective_cpus);
      auto h = engine_->record(self, now());
      v.load = static_cast<uint32_t>(std::max<int64_t>(0, mean + (h ? pending_load(self, now() - h->age) : 0)));
    }
  cluster::NodeId to = balance::best_node(views, self, self, rss, /*counted=*/false);
  // One more process there until gossip shows it. Nothing is taken off here for one going
  // elsewhere: this node is judged by mean_load, which a starting process has not reached (taking
  // it off made the next starts of a burst see this node emptier than it is and stay).
  add_pending(to, balance::one_process_load(views, to), 0);
  return daemon::ok_reply({{"to", to}});
}

void GossipService::add_ops(daemon::ControlServer& server) {
  server.add_op("claim", [this](const daemon::ControlRequest& r) { return claim(r.body); });
  server.add_op("place", [this](const daemon::ControlRequest& r) { return place(r.body); });
  server.add_op("gossip", [this](const daemon::ControlRequest&) {
    const gossip::GossipCounters& c = engine_->counters();
    return daemon::ok_reply({{"sent", c.sent},
                             {"sent_bytes", c.sent_bytes},
                             {"replies", c.replies},
                             {"received", c.received},
                             {"rejected", c.rejected},
                             {"accepted", c.accepted},
                             {"stale", c.stale},
                             {"dropped_datagrams", endpoint_.stats().dropped},
                             {"known", engine_->known()},
                             {"down_after_ms", engine_->down_after().count()}});
  });
}

}  // namespace omx::membership
