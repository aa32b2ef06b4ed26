// gossip_sim: the production GossipEngine (src/gossip) on a simulated clock and network
// (src/sim), for cluster sizes the namespaced harness cannot reach. Prints, per scenario:
//   age      true age of the records nodes hold about other live nodes (now - when the origin
//            made that version), median / p99 / max over all (holder, origin) pairs at sample
//            points every --sample-every s after the warm-up (a random subset of --sample-holders
//            holders per point when the cluster is larger than that); "known" is the share of
//            pairs for which the holder has any record at all (ages are over known pairs).
//   fresh    share of pairs held younger than 2 s, and younger than down_after (5 s: not down)
//   msg/s    messages each node sends per second (steps + push-pull replies)
//   B/s      bytes each node sends per second: gossip payload + 68 bytes of datagram header and
//            tag (wire/datagram.h); IP/UDP headers (28) are not counted
//   rec/msg  records per message (own + window)
// and, with --churn, how long until every live node marks a killed node down ("death seen"),
// and until every live node holds a record of a newly started node ("join seen"). "down" uses
// the engine's down_after(): 5 s, raised with the cluster size (see gossip_engine.h), so death
// is seen later in large clusters.
//
// `--suite` runs the scenarios ./run bench prints: 16 nodes (push-pull with one node dying and
// one joining, push only, 10 % loss), 1,000 nodes with window 8/16/32, step 250/500/1000 ms and
// push only, and 10,000 nodes (membership learned from gossip with 32 bootstrap peers each: a
// full map would make the simulator hold 10^8 records, ~7 GB; real nodes hold 10^4 each). About
// 30-50 s of one core; `--quick` (no 10k case, shorter runs) about 15 s.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "sim/gossip_cluster.h"

namespace {

using namespace std::chrono_literals;
using omx::gossip::NodeId;
using omx::sim::GossipCluster;
using omx::sim::SimTime;

struct Scenario {
  std::string name;
  size_t nodes = 16;
  size_t window = 16;
  int step_ms = 500;
  double jitter = 0.5;
  bool push_pull = true;
  bool full_membership = true;
  double loss = 0;
  int latency_us = 150;
  int tail_us = 100;
  double warmup_s = 20;
  double measure_s = 30;
  double sample_every_s = 2;
  size_t sample_holders = 400;
  size_t churn = 0;  // nodes killed, and nodes started late, after the measurement
  uint64_t seed = 1;
};

// Exact percentiles over ms bins (ages beyond the last bin go to it).
class Histogram {
 public:
  void add(int64_t ms) {
    size_t b = static_cast<size_t>(std::clamp<int64_t>(ms, 0, kBins - 1));
    ++bins_[b];
    ++count_;
    max_ = std::max(max_, ms);
  }
  double percentile(double p) const {
    if (count_ == 0) return 0;
    uint64_t rank = static_cast<uint64_t>(p * static_cast<double>(count_ - 1));
    uint64_t seen = 0;
    for (size_t b = 0; b < bins_.size(); ++b) {
      seen += bins_[b];
      if (seen > rank) return static_cast<double>(b);
    }
    return static_cast<double>(max_);
  }
  uint64_t below(int64_t ms) const {
    uint64_t n = 0;
    for (int64_t b = 0; b < std::min<int64_t>(ms, kBins); ++b) n += bins_[b];
    return n;
  }
  int64_t max() const { return max_; }
  uint64_t count() const { return count_; }

 private:
  static constexpr int64_t kBins = 2'000'000;  // 2000 s
  std::vector<uint64_t> bins_ = std::vector<uint64_t>(kBins, 0);
  uint64_t count_ = 0;
  int64_t max_ = 0;
};

struct Result {
  Histogram ages;
  uint64_t unknown = 0;
  double msgs_per_node_s = 0, bytes_per_node_s = 0, recs_per_msg = 0;
  double death_seen_s = -1, join_seen_s = -1;
  double wall_s = 0;
  uint64_t decode_errors = 0;
};

omx::gossip::Time etime(const GossipCluster& c) { return GossipCluster::engine_time(c.now()); }

void sample_ages(GossipCluster& c, size_t max_holders, std::mt19937_64& rng, Result& r) {
  std::vector<NodeId> holders;
  for (NodeId id = 1; id <= c.size(); ++id) {
    if (c.alive(id)) holders.push_back(id);
  }
  if (holders.size() > max_holders) {
    std::shuffle(holders.begin(), holders.end(), rng);
    holders.resize(max_holders);
  }
  size_t live = 0;
  for (NodeId id = 1; id <= c.size(); ++id) live += c.alive(id) ? 1 : 0;
  for (NodeId h : holders) {
    const auto* e = c.engine(h);
    size_t known = 0;
    e->for_each_record(etime(c), [&](const omx::gossip::LoadRecord& rec, omx::gossip::Time) {
      if (!c.alive(rec.node)) return;
      auto age = c.true_age(rec);
      if (!age) return;
      r.ages.add(std::chrono::duration_cast<std::chrono::milliseconds>(*age).count());
      ++known;
    });
    r.unknown += (live - 1) - known;
  }
}

// Seconds until pred() holds (checked every 100 ms), or -1 after `limit`.
template <typename Pred>
double time_until(GossipCluster& c, SimTime limit, Pred pred) {
  SimTime start = c.now();
  while (c.now() - start < limit) {
    if (pred()) return std::chrono::duration<double>(c.now() - start).count();
    c.run_until(c.now() + 100ms);
  }
  return -1;
}

void churn(GossipCluster& c, const Scenario& s, std::vector<NodeId>& late, Result& r) {
  std::vector<NodeId> victims;
  for (NodeId id = 1; id <= c.size() && victims.size() < s.churn; ++id) {
    if (c.alive(id)) victims.push_back(id);
  }
  for (NodeId v : victims) c.kill_node(v);
  r.death_seen_s = time_until(c, 300s, [&] {
    for (NodeId h = 1; h <= c.size(); ++h) {
      if (!c.alive(h)) continue;
      for (NodeId v : victims) {
        if (!c.engine(h)->is_down(v, etime(c))) return false;
      }
    }
    return true;
  });
  for (NodeId id : late) c.start_node(id);
  r.join_seen_s = time_until(c, 600s, [&] {
    for (NodeId h = 1; h <= c.size(); ++h) {
      if (!c.alive(h)) continue;
      for (NodeId j : late) {
        if (j == h) continue;
        if (!c.engine(h)->record(j, etime(c))) return false;
      }
    }
    return true;
  });
}

Result run(const Scenario& s) {
  auto wall0 = std::chrono::steady_clock::now();
  omx::sim::GossipClusterOptions o;
  o.nodes = s.nodes + s.churn;  // the churn nodes are in the map but start late ("join")
  o.seed = s.seed;
  o.full_membership = s.full_membership;
  o.bootstrap_peers = 32;
  o.link.base_latency = SimTime(s.latency_us);
  o.link.tail_mean = SimTime(s.tail_us);
  o.link.loss = s.loss;
  o.engine.window = s.window;
  o.engine.step = omx::gossip::Time(s.step_ms);
  o.engine.jitter = s.jitter;
  o.engine.push_pull = s.push_pull;
  GossipCluster c(o);
  // With churn, the last `churn` nodes start only after the measurement ("joining").
  std::vector<NodeId> late;
  for (NodeId id = 1; id <= s.nodes + s.churn; ++id) {
    if (id > s.nodes) {
      late.push_back(id);
    } else {
      c.start_node(id);
    }
  }
  Result r;
  std::mt19937_64 rng(s.seed);
  auto secs = [](double x) { return SimTime(static_cast<int64_t>(x * 1e6)); };
  c.run_until(secs(s.warmup_s));
  auto net0 = c.network().stats();
  uint64_t recs0 = 0, recs1 = 0;
  for (NodeId id = 1; id <= s.nodes; ++id) recs0 += c.engine(id)->counters().sent_records;
  size_t live = s.nodes;
  for (double t = s.warmup_s + s.sample_every_s; t <= s.warmup_s + s.measure_s + 1e-9;
       t += s.sample_every_s) {
    c.run_until(secs(t));
    sample_ages(c, s.sample_holders, rng, r);
  }
  auto net1 = c.network().stats();
  for (NodeId id = 1; id <= s.nodes; ++id) recs1 += c.engine(id)->counters().sent_records;
  double msgs = static_cast<double>(net1.sent - net0.sent);
  r.msgs_per_node_s = msgs / static_cast<double>(live) / s.measure_s;
  r.bytes_per_node_s = (static_cast<double>(net1.sent_bytes - net0.sent_bytes) + msgs * 68) /
                       static_cast<double>(live) / s.measure_s;
  r.recs_per_msg = msgs > 0 ? static_cast<double>(recs1 - recs0) / msgs : 0;
  if (s.churn > 0) churn(c, s, late, r);
  r.decode_errors = c.decode_errors();
  r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  return r;
}

void print_header() {
  std::printf("%-26s %6s %4s %5s %4s | %8s %8s %8s %6s | %6s %6s | %6s %7s %5s | %6s %6s | %5s\n",
              "scenario", "nodes", "win", "step", "mode", "age.med", "age.p99", "age.max", "known",
              "<2s", "<5s", "msg/s", "B/s", "r/msg", "death", "join", "wall");
}

void print_row(const Scenario& s, const Result& r) {
  double pairs = static_cast<double>(r.ages.count() + r.unknown);
  double known = pairs > 0 ? 100.0 * static_cast<double>(r.ages.count()) / pairs : 0;
  auto share = [&](int64_t ms) {
    return pairs > 0 ? 100.0 * static_cast<double>(r.ages.below(ms)) / pairs : 0;
  };
  auto secs = [](double ms) { return ms / 1000.0; };
  char death[16] = "-", join[16] = "-";
  if (s.churn > 0) {
    std::snprintf(death, sizeof death, "%.1fs", r.death_seen_s);
    std::snprintf(join, sizeof join, "%.1fs", r.join_seen_s);
  }
  // An age close to the simulated time means "never refreshed since the start": censored.
  double horizon_ms = (s.warmup_s + s.measure_s) * 1000 * 0.95;
  auto mark = [&](double ms) { return ms >= horizon_ms ? '*' : ' '; };
  double p50 = r.ages.percentile(0.5), p99 = r.ages.percentile(0.99);
  auto mx = static_cast<double>(r.ages.max());
  std::printf(
      "%-26s %6zu %4zu %5d %4s | %7.2fs%c%7.2fs%c%7.2fs%c%5.1f%% | %5.1f%% %5.1f%% | %6.2f %7.0f "
      "%5.1f | %6s %6s | %4.1fs\n",
      s.name.c_str(), s.nodes, s.window, s.step_ms, s.push_pull ? "pp" : "push", secs(p50),
      mark(p50), secs(p99), mark(p99), secs(mx), mark(mx), known, share(2000), share(5000),
      r.msgs_per_node_s, r.bytes_per_node_s, r.recs_per_msg, death, join, r.wall_s);
  if (r.decode_errors != 0)
    std::printf("  !! %llu decode errors\n", static_cast<unsigned long long>(r.decode_errors));
  std::fflush(stdout);
}

std::vector<Scenario> suite(bool quick) {
  std::vector<Scenario> v;
  Scenario small;
  small.name = "16 nodes";
  small.nodes = 16;
  small.warmup_s = 10;
  small.measure_s = quick ? 20 : 120;
  small.sample_every_s = 0.25;
  small.churn = 1;
  v.push_back(small);
  Scenario small_push = small;
  small_push.name = "16 nodes, push only";
  small_push.push_pull = false;
  v.push_back(small_push);
  Scenario small_loss = small;
  small_loss.name = "16 nodes, 10% loss";
  small_loss.loss = 0.10;
  v.push_back(small_loss);
  Scenario k;
  k.nodes = 1000;
  k.warmup_s = quick ? 40 : 80;
  k.measure_s = 10;
  k.sample_every_s = 5;
  k.sample_holders = 1000;
  for (size_t w : {8, 16, 32}) {
    Scenario x = k;
    x.window = w;
    x.name = "1k, window " + std::to_string(w);
    v.push_back(x);
  }
  for (int st : {250, 1000}) {
    Scenario x = k;
    x.step_ms = st;
    x.name = "1k, step " + std::to_string(st) + " ms";
    v.push_back(x);
  }
  Scenario kp = k;
  kp.push_pull = false;
  kp.name = "1k, push only";
  v.push_back(kp);
  if (!quick) {
    Scenario big;
    big.name = "10k, learned membership";
    big.nodes = 10000;
    big.full_membership = false;
    big.warmup_s = 15;
    big.measure_s = 6;
    big.sample_every_s = 3;
    big.sample_holders = 300;
    v.push_back(big);
  }
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"gossip_sim: GossipEngine on a simulated cluster"};
  Scenario s;
  s.name = "custom";
  bool run_suite = false, quick = false, push_only = false, learn = false;
  app.add_flag("--suite", run_suite, "run the benchmark scenarios (./run bench)");
  app.add_flag("--quick", quick, "with --suite: shorter runs, no 10k case");
  app.add_option("--nodes", s.nodes, "cluster size")->check(CLI::Range(2, 65535));
  app.add_option("--window", s.window, "records about others per message");
  app.add_option("--step-ms", s.step_ms, "gossip step")->check(CLI::Range(1, 60000));
  app.add_option("--jitter", s.jitter, "step jitter (fraction of the step)");
  app.add_flag("--push-only", push_only, "no push-pull replies");
  app.add_flag("--learn", learn,
               "membership learned from gossip (32 bootstrap peers), not a full map");
  app.add_option("--loss", s.loss, "datagram loss probability")->check(CLI::Range(0.0, 1.0));
  app.add_option("--latency-us", s.latency_us, "one-way base latency");
  app.add_option("--tail-us", s.tail_us, "mean of the exponential latency tail");
  app.add_option("--warmup-s", s.warmup_s, "simulated seconds before measuring");
  app.add_option("--measure-s", s.measure_s, "simulated seconds measured");
  app.add_option("--sample-every-s", s.sample_every_s, "age sampling interval");
  app.add_option("--sample-holders", s.sample_holders, "holders sampled per point");
  app.add_option("--churn", s.churn, "kill this many nodes after measuring, then start as many");
  app.add_option("--seed", s.seed, "random seed");
  CLI11_PARSE(app, argc, argv);
  s.push_pull = !push_only;
  s.full_membership = !learn;

  std::printf(
      "gossip simulation: same GossipEngine as omxd; latency 150 us + exp(100 us) one way; "
      "ages are true ages (now - creation at the origin); '*' = as old as the simulation "
      "(never refreshed since the start: a lower bound)\n");
  print_header();
  if (run_suite) {
    for (const Scenario& x : suite(quick)) print_row(x, run(x));
  } else {
    print_row(s, run(s));
  }
  return 0;
}
