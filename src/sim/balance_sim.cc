#include "sim/balance_sim.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>

#include "base/check.h"
#include "gossip/load_meter.h"
#include "sim/gossip_cluster.h"

namespace omx::sim {
namespace {

using balance::NodeId;
using balance::NodeView;
using balance::ProcView;
using balance::kLoadPerProcess;
using balance::kStdSpeed;

constexpr double kMiB = 1024.0 * 1024.0;

SimTime to_sim(double s) { return SimTime(static_cast<int64_t>(std::ceil(s * 1e6))); }

struct Job {
  double arrive = 0, work = 0, done = 0, since = 0, finish = -1;
  uint64_t rss = 0;
  NodeId home = 0, node = 0;
  uint32_t migrations = 0;
};

// A move this node announced: `delta` load shown on `node` in its own view until `until`.
struct Claim {
  NodeId node = 0;
  int64_t delta = 0;
  double until = 0;
  double made = 0;
};

struct Node {
  uint32_t speed = kStdSpeed;
  uint16_t cpus = 1;
  bool block = false;
  uint64_t mem_total = 0, rss_here = 0;
  std::vector<uint32_t> jobs;  // runnable here (indexes into jobs_)
  double last_t = 0;           // jobs' progress is accounted up to here
  uint64_t epoch = 0;          // the completion event scheduled with this value is current
  double area = 0, period_start = 0;  // integral of the runnable count over the period
  uint64_t period_load = 0, upper_load = 0;
  std::vector<Claim> claims;
};

class BalanceSim {
 public:
  explicit BalanceSim(const BalanceSimOptions& o) : o_(o), rng_(o.seed), jitter_rng_(o.seed * 31 + 7) {}
  BalanceSimResult run();

 private:
  EventQueue& queue() { return cluster_ ? cluster_->queue() : own_queue_; }
  double now() { return std::chrono::duration<double>(queue().now()).count(); }
  void make_nodes();
  void make_jobs();
  void compute_ideal();
  void advance(NodeId id);
  void reschedule(NodeId id);
  void add_job(NodeId id, uint32_t j);
  void remove_job(NodeId id, uint32_t j);
  void on_finish(NodeId id, uint64_t epoch);
  void set_unfinished(int delta);
  void on_period(NodeId id);
  NodeView self_view(NodeId id, double t) const;
  int64_t pending(const Node& n, NodeId about, double t) const;
  bool worth_deciding(NodeId id, const NodeView& me, double t) const;
  void build_view(NodeId id, const NodeView& me, double t);
  void act(NodeId id, const balance::Decision& d, double t);
  int64_t one_process(NodeId id) const {
    const Node& n = nodes_[id];
    return static_cast<int64_t>(kLoadPerProcess) * kStdSpeed / (int64_t{n.speed} * n.cpus);
  }

  BalanceSimOptions o_;
  std::mt19937_64 rng_, jitter_rng_;
  EventQueue own_queue_;
  std::unique_ptr<GossipCluster> cluster_;
  std::vector<Node> nodes_;  // index = id
  std::vector<Job> jobs_;
  std::vector<double> fastest_;  // fastest_[k]: summed speed of the k fastest CPUs
  double t0_ = 0, usable_ = 0, usable_t_ = 0;
  size_t unfinished_ = 0, arrived_ = 0, finished_ = 0;
  std::vector<NodeView> view_;
  std::vector<double> made_;  // when each view_ entry's record was made (claims: the settle rule)
  std::vector<int32_t> pos_;  // node id -> index in view_, -1 if absent
  double age_sum_ = 0;
  uint64_t age_count_ = 0;
  BalanceSimResult r_;
};

void BalanceSim::make_nodes() {
  OMX_CHECK(o_.nodes >= 1 && !o_.classes.empty(), "balance_sim: nodes and classes");
  double total_share = 0;
  for (const SpeedClass& c : o_.classes) total_share += c.share;
  // Stratified class counts (exact shares), shuffled over the ids.
  std::vector<size_t> cls;
  double acc = 0;
  for (size_t c = 0; c < o_.classes.size(); ++c) {
    acc += o_.classes[c].share / total_share;
    size_t upto = c + 1 == o_.classes.size() ? o_.nodes : static_cast<size_t>(std::lround(acc * o_.nodes));
    while (cls.size() < upto) cls.push_back(c);
  }
  if (o_.shuffle_classes) std::shuffle(cls.begin(), cls.end(), rng_);
  nodes_.assign(o_.nodes + 1, Node{});
  std::vector<double> cpu_speeds;
  for (NodeId id = 1; id <= o_.nodes; ++id) {
    const SpeedClass& c = o_.classes[cls[id - 1]];
    Node& n = nodes_[id];
    n.speed = static_cast<uint32_t>(std::lround(c.speed * kStdSpeed));
    n.cpus = std::max<uint16_t>(1, c.cpus);
    n.mem_total = o_.mem_per_cpu * n.cpus;
    n.block = std::find(o_.blocked.begin(), o_.blocked.end(), id) != o_.blocked.end();
    for (uint16_t k = 0; k < n.cpus; ++k) cpu_speeds.push_back(c.speed);
    r_.capacity += c.speed * n.cpus;
  }
  std::sort(cpu_speeds.rbegin(), cpu_speeds.rend());
  fastest_.assign(1, 0.0);
  for (double s : cpu_speeds) fastest_.push_back(fastest_.back() + s);
}

void BalanceSim::make_jobs() {
  if (!o_.trace.empty()) {
    for (const BalanceSimOptions::Job& t : o_.trace)
      jobs_.push_back(Job{.arrive = t.arrive_s, .work = t.work_s, .rss = t.rss, .home = t.home});
    return;
  }
  double rate = o_.offered * r_.capacity / o_.mean_work_s;  // jobs per second
  double xm = o_.mean_work_s * (o_.pareto_alpha - 1) / o_.pareto_alpha;
  std::exponential_distribution<double> gap(rate);
  std::uniform_real_distribution<double> u01(0.0, 1.0);
  double lo = std::log(static_cast<double>(o_.rss_min)), hi = std::log(static_cast<double>(o_.rss_max));
  size_t home_count = o_.homes ? std::min(o_.homes, o_.nodes) : o_.nodes;
  for (double t = gap(rng_); t < o_.arrival_s; t += gap(rng_)) {
    Job j;
    j.arrive = t;
    j.work = std::min(o_.max_work_s, xm / std::pow(1.0 - u01(rng_), 1.0 / o_.pareto_alpha));
    j.rss = static_cast<uint64_t>(std::exp(lo + (hi - lo) * u01(rng_)));
    j.home = static_cast<NodeId>(1 + std::min<size_t>(home_count - 1, static_cast<size_t>(u01(rng_) * home_count)));
    jobs_.push_back(j);
  }
}

void BalanceSim::compute_ideal() {
  std::vector<std::pair<double, double>> aw;
  double fastest_cpu = fastest_.size() > 1 ? fastest_[1] : 1.0;
  for (const Job& j : jobs_) {
    aw.emplace_back(j.arrive, j.work);
    r_.total_work_s += j.work;
    r_.ideal_s = std::max(r_.ideal_s, j.arrive + j.work / fastest_cpu);
  }
  std::sort(aw.begin(), aw.end());
  double rest = 0;  // work arriving at or after aw[k].first
  for (size_t k = aw.size(); k-- > 0;) {
    rest += aw[k].second;
    r_.ideal_s = std::max(r_.ideal_s, aw[k].first + rest / r_.capacity);
  }
}

// Accounts the progress of n's runnable jobs (processor sharing) and its load integral up to now.
void BalanceSim::advance(NodeId id) {
  Node& n = nodes_[id];
  double t = now(), dt = t - n.last_t;
  if (dt <= 0) return;
  if (!n.jobs.empty()) {
    double k = static_cast<double>(n.jobs.size());
    double rate = n.speed / double{kStdSpeed} * std::min(1.0, n.cpus / k);
    for (uint32_t j : n.jobs) jobs_[j].done += rate * dt;
    n.area += k * dt;
  }
  n.last_t = t;
}

// Schedules n's next completion (earlier schedules are voided by the epoch).
void BalanceSim::reschedule(NodeId id) {
  Node& n = nodes_[id];
  uint64_t epoch = ++n.epoch;
  if (n.jobs.empty()) return;
  double k = static_cast<double>(n.jobs.size());
  double rate = n.speed / double{kStdSpeed} * std::min(1.0, n.cpus / k);
  double least = 1e300;
  for (uint32_t j : n.jobs) least = std::min(least, jobs_[j].work - jobs_[j].done);
  queue().at(to_sim(now() + std::max(0.0, least) / rate), [this, id, epoch] { on_finish(id, epoch); });
}

void BalanceSim::add_job(NodeId id, uint32_t j) {
  advance(id);
  Node& n = nodes_[id];
  n.jobs.push_back(j);
  n.rss_here += jobs_[j].rss;
  r_.peak_per_cpu = std::max(r_.peak_per_cpu, n.jobs.size() / n.cpus);
  jobs_[j].node = id;
  jobs_[j].since = now();
  reschedule(id);
}

void BalanceSim::remove_job(NodeId id, uint32_t j) {
  advance(id);
  Node& n = nodes_[id];
  n.jobs.erase(std::find(n.jobs.begin(), n.jobs.end(), j));
  n.rss_here -= jobs_[j].rss;
  reschedule(id);
}

void BalanceSim::set_unfinished(int delta) {
  double t = now();
  if (unfinished_ > 0 || delta > 0) {
    size_t k = std::min(unfinished_, fastest_.size() - 1);
    usable_ += fastest_[k] * (t - usable_t_);
  }
  usable_t_ = t;
  unfinished_ = static_cast<size_t>(static_cast<int64_t>(unfinished_) + delta);
}

void BalanceSim::on_finish(NodeId id, uint64_t epoch) {
  Node& n = nodes_[id];
  if (n.epoch != epoch) return;
  advance(id);
  double k = static_cast<double>(n.jobs.size());
  double rate = n.speed / double{kStdSpeed} * std::min(1.0, n.cpus / k);
  double eps = rate * 2e-6;  // the event time is rounded up to the microsecond
  std::vector<uint32_t> keep;
  for (uint32_t j : n.jobs) {
    Job& job = jobs_[j];
    if (job.work - job.done > eps) {
      keep.push_back(j);
      continue;
    }
    job.finish = now();
    n.rss_here -= job.rss;
    ++finished_;
    set_unfinished(-1);
  }
  n.jobs.swap(keep);
  reschedule(id);
}

int64_t BalanceSim::pending(const Node& n, NodeId about, double t) const {
  int64_t sum = 0;
  for (const Claim& c : n.claims)
    if (c.node == about && c.until > t) sum += c.delta;
  return sum;
}

// This node as omxd shows it to its balancer: the last period's load ("load_now") plus claims.
NodeView BalanceSim::self_view(NodeId id, double t) const {
  const Node& n = nodes_[id];
  NodeView v;
  v.id = id;
  uint64_t raw = o_.view == ViewMode::kOracle ? n.jobs.size() * kLoadPerProcess : n.period_load;
  int64_t load = int64_t{gossip::normalized_load(raw, n.speed, n.cpus)} + pending(n, id, t);
  v.load = static_cast<uint32_t>(std::max<int64_t>(0, load));
  v.speed = n.speed;
  v.cpus = n.cpus;
  v.mem_total = n.mem_total;
  v.mem_free = n.mem_total - std::min(n.mem_total, n.rss_here);
  v.block = n.block;
  return v;
}

// Would decide() possibly return something? Its candidate filter, or low memory (ushering).
bool BalanceSim::worth_deciding(NodeId id, const NodeView& me, double t) const {
  const Node& n = nodes_[id];
  if (static_cast<double>(me.mem_free) < o_.policy.mem_low_fraction * static_cast<double>(me.mem_total))
    return true;
  double here_rate = balance::rate_on(me, std::max(1.0, balance::procs_of(me)));
  for (uint32_t j : n.jobs) {
    const Job& job = jobs_[j];
    if (t - job.since < o_.policy.min_residency_s) continue;
    if (job.done * kStdSpeed / here_rate >= o_.policy.pay_factor * o_.link.move_seconds(job.rss))
      return true;
  }
  return false;
}

void BalanceSim::build_view(NodeId id, const NodeView& me, double t) {
  view_.clear();
  made_.clear();
  view_.push_back(me);
  made_.push_back(t);
  if (o_.view == ViewMode::kOracle) {
    for (NodeId o = 1; o <= o_.nodes; ++o) {
      if (o == id) continue;
      const Node& n = nodes_[o];
      NodeView v;
      v.id = o;
      v.load = gossip::normalized_load(n.jobs.size() * kLoadPerProcess, n.speed, n.cpus);
      v.speed = n.speed;
      v.cpus = n.cpus;
      v.mem_total = n.mem_total;
      v.mem_free = n.mem_total - std::min(n.mem_total, n.rss_here);
      v.block = n.block;
      view_.push_back(v);
      made_.push_back(t);
    }
  } else {
    const gossip::GossipEngine& e = *cluster_->engine(id);
    gossip::Time et = GossipCluster::engine_time(queue().now()), down = e.down_after();
    bool sample_age = r_.decide_calls % 16 == 0;  // true_age() is costly: every 16th view
    e.for_each_record(et, [&](const gossip::LoadRecord& rec, gossip::Time age) {
      NodeView v;
      v.id = rec.node;
      v.up = age <= down;
      v.load = rec.load;
      v.speed = rec.speed;
      v.cpus = rec.ncpus;
      v.mem_free = static_cast<uint64_t>(rec.free_mem_mib * kMiB);
      v.mem_total = static_cast<uint64_t>(rec.total_mem_mib * kMiB);
      v.stay = rec.has(gossip::StatusBit::kStay);
      v.block = rec.has(gossip::StatusBit::kBlock);
      view_.push_back(v);
      made_.push_back(t - std::chrono::duration<double>(age).count());  // the record's creation
      if (!sample_age) return;
      if (auto a = cluster_->true_age(rec)) {
        age_sum_ += std::chrono::duration<double>(*a).count();
        ++age_count_;
      }
    });
  }
  if (o_.shuffle_view || o_.learned_membership) {  // keep made_ in step with view_
    std::vector<size_t> order(view_.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    if (o_.shuffle_view) std::shuffle(order.begin() + 1, order.end(), jitter_rng_);
    else  // omxd lists its node table by id (a std::map)
      std::sort(order.begin() + 1, order.end(), [&](size_t a, size_t b) { return view_[a].id < view_[b].id; });
    std::vector<NodeView> v2;
    std::vector<double> m2;
    for (size_t i : order) {
      v2.push_back(view_[i]);
      m2.push_back(made_[i]);
    }
    view_.swap(v2);
    made_.swap(m2);
  }
  const Node& n = nodes_[id];
  if (n.claims.empty()) return;
  for (size_t i = 0; i < view_.size(); ++i) pos_[view_[i].id] = static_cast<int32_t>(i);
  for (const Claim& c : n.claims) {
    if (c.node == id || c.until <= t || pos_[c.node] < 0) continue;
    // As omxd: until a record of the target made claim_settle_s after the claim has arrived.
    if (made_[pos_[c.node]] >= c.made + o_.claim_settle_s) continue;
    NodeView& v = view_[pos_[c.node]];
    v.load = static_cast<uint32_t>(std::max<int64_t>(0, int64_t{v.load} + c.delta));
  }
  for (const NodeView& v : view_) pos_[v.id] = -1;
}

// One load period of node `id`: close the load, publish it, balance.
void BalanceSim::on_period(NodeId id) {
  Node& n = nodes_[id];
  advance(id);
  double t = now(), len = std::max(1e-9, t - n.period_start);
  n.period_load = static_cast<uint64_t>(std::lround(n.area / len * kLoadPerProcess));
  n.upper_load = gossip::next_upper_load(n.upper_load, n.period_load);
  n.area = 0;
  n.period_start = t;
  if (cluster_) {
    gossip::LocalState s;
    s.load = gossip::normalized_load(n.upper_load, n.speed, n.cpus);
    s.speed = n.speed;
    s.ncpus = n.cpus;
    s.total_mem_mib = static_cast<uint32_t>(n.mem_total / kMiB);
    s.free_mem_mib = static_cast<uint32_t>((n.mem_total - std::min(n.mem_total, n.rss_here)) / kMiB);
    s.status = n.block ? gossip::bit(gossip::StatusBit::kBlock) : 0;
    s.local_procs = static_cast<uint16_t>(std::min<size_t>(65535, n.jobs.size()));
    cluster_->engine(id)->set_local(s);
  }
  std::erase_if(n.claims, [t](const Claim& c) { return c.until <= t; });
  NodeView me = self_view(id, t);
  if (!n.jobs.empty() && worth_deciding(id, me, t)) {
    std::vector<ProcView> procs;
    for (uint32_t j : n.jobs) {
      const Job& job = jobs_[j];
      procs.push_back(ProcView{.pid = static_cast<pid_t>(j + 1), .home = job.home, .rss = job.rss,
                               .cpu_seconds = job.done, .resident_s = t - job.since});
    }
    build_view(id, me, t);
    ++r_.decide_calls;
    if (auto d = balance::decide(id, view_, procs, o_.link, o_.policy)) act(id, *d, t);
  }
  std::uniform_real_distribution<double> jit(0.9, 1.1);
  queue().after(to_sim(o_.period_s * jit(jitter_rng_)), [this, id] { on_period(id); });
}

// A decision: claim the target, then move the job (omxd's optimistic claim never refuses a
// node's one decision per round: its view already holds its own claims).
void BalanceSim::act(NodeId id, const balance::Decision& d, double t) {
  Node& n = nodes_[id];
  ++r_.decisions;
  n.claims.push_back({d.to, one_process(d.to), t + o_.claim_hold_s, t});
  n.claims.push_back({id, -one_process(id), t + o_.claim_settle_s, t});
  if (o_.admission) {
    // Experiment: the target claims its own node with the load the decision saw; refused if it
    // now shows half a process more.
    int64_t seen = 0;
    for (const NodeView& v : view_)
      if (v.id == d.to) seen = v.load;
    Node& tn = nodes_[d.to];
    int64_t shown = int64_t{gossip::normalized_load(tn.period_load, tn.speed, tn.cpus)} + pending(tn, d.to, t);
    if (shown >= seen + (one_process(d.to) + 1) / 2) {
      ++r_.admission_refused;
      return;
    }
    tn.claims.push_back({d.to, one_process(d.to), t + o_.claim_settle_s, t});
  }
  uint32_t j = static_cast<uint32_t>(d.pid - 1);
  OMX_CHECK(j < jobs_.size() && jobs_[j].node == id, "balance_sim: decision for job %u", j);
  remove_job(id, j);
  jobs_[j].node = 0;
  ++jobs_[j].migrations;
  ++r_.migrations;
  NodeId to = d.to;
  queue().after(to_sim(o_.link.move_seconds(jobs_[j].rss)), [this, j, to] {
    add_job(to, j);
    ++r_.received[to];
    if (nodes_[to].jobs.size() > nodes_[to].cpus) ++r_.crowded_arrivals;
  });
}

BalanceSimResult BalanceSim::run() {
  auto wall0 = std::chrono::steady_clock::now();
  make_nodes();
  make_jobs();
  compute_ideal();
  r_.nodes = o_.nodes;
  r_.jobs = jobs_.size();
  r_.received.assign(o_.nodes + 1, 0);
  pos_.assign(o_.nodes + 1, -1);
  if (o_.view == ViewMode::kGossip) {
    GossipClusterOptions g;
    g.nodes = o_.nodes;
    g.seed = o_.seed;
    g.engine.window = o_.window;
    g.engine.step = gossip::Time(o_.step_ms);
    g.full_membership = !o_.learned_membership;
    g.bootstrap_peers = 32;
    cluster_ = std::make_unique<GossipCluster>(g);
    cluster_->start_all();
  }
  t0_ = o_.view == ViewMode::kGossip ? o_.warmup_s : 0;
  if (o_.view != ViewMode::kNone) {
    std::uniform_real_distribution<double> phase(0.0, o_.period_s);
    for (NodeId id = 1; id <= o_.nodes; ++id)
      queue().at(to_sim(phase(jitter_rng_)), [this, id] { on_period(id); });
  }
  for (uint32_t j = 0; j < jobs_.size(); ++j)
    queue().at(to_sim(t0_ + jobs_[j].arrive), [this, j] {
      ++arrived_;
      set_unfinished(+1);
      add_job(jobs_[j].home, j);
    });
  SimTime limit = to_sim(t0_ + o_.max_s);
  while (finished_ < jobs_.size() && queue().now() < limit && queue().step()) {
  }
  set_unfinished(0);
  for (NodeId id = 1; id <= o_.nodes; ++id) advance(id);
  double resp = 0, last = t0_, delivered = 0, stop = now();
  for (const Job& j : jobs_) {
    delivered += std::min(j.done, j.work);
    if (j.arrive + t0_ <= stop) resp += (j.finish < 0 ? stop : j.finish) - (t0_ + j.arrive);
    if (j.finish < 0) continue;
    last = std::max(last, j.finish);
    if (j.migrations >= 2) ++r_.moved_twice;
  }
  r_.finished = finished_;
  r_.makespan_s = last - t0_;
  r_.mean_response_s = arrived_ ? resp / static_cast<double>(arrived_) : 0;
  r_.utilisation = usable_ > 0 ? delivered / usable_ : 0;
  r_.view_age_s = age_count_ ? age_sum_ / static_cast<double>(age_count_) : 0;
  r_.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  return r_;
}

}  // namespace

BalanceSimResult run_balance_sim(const BalanceSimOptions& options) {
  BalanceSim sim(options);
  return sim.run();
}

}  // namespace omx::sim
