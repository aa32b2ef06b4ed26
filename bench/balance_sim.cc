// balance_sim: the production balancer (balance::decide) over 1,000 and 10,000 simulated nodes
// with heterogeneous speeds, jobs arriving and finishing, each node seeing the others through the
// production GossipEngine (src/sim/balance_sim.h has the model). Prints, per configuration:
//   makespan  first arrival to last finish, seconds, and "ideal": a lower bound (all work spread
//             over the whole capacity from each arrival on, and the longest job on the fastest
//             CPU); "x" = makespan / ideal
//   util      work done / capacity that could have been used: at each instant with J unfinished
//             jobs, the J fastest CPUs (1.00: jobs always ran on the fastest free CPUs)
//   resp      mean response time (arrival to finish), seconds; "x" = against the baseline's
//   mig/job   migrations per job; "2+" share of jobs moved at least twice; "crowd" share of moves
//             that arrived where runnable > CPUs afterwards (the target was not free after all);
//             "peak" the most runnable jobs per CPU seen on one node (a herd shows here)
//   age       mean true age of the records in the views decide() was given
//   refused   share of decisions refused by the target's admission check (--admission only:
//             it shows half a process more than the decision saw)
// A run with jobs left when it is stopped (max_s) prints '>' before makespan and resp: lower
// bounds. Views: "none" is the baseline (no balancing; the same nodes and the same job trace,
// always run to the end: it is cheap), "oracle" gives every node the true current loads (no
// staleness; same one-decision-per-second and claim rules), "gossip" the engine's records with
// the given window (entries per message), ordered by node id as omxd's node table; "shuffled"
// rows hand decide() the same records in a random order per call (an experiment from before
// decide() broke ties by a hash: it kept the first of equal gains, so identically ordered views
// made every node pick the same target; now both orders give the same figures; docs/design.md).
//
// `--suite` runs the scenarios ./run bench prints: 1,000 nodes with jobs arriving at random
// nodes (baseline, oracle by id and shuffled, windows 4/16/64 by id and shuffled), 1,000 nodes with jobs arriving
// at 10 % of the nodes ("homes"; baseline, window 16 by id and shuffled), and 10,000 nodes
// (gossip membership learned from 32 bootstrap peers, as gossip_sim: a full map would be 10^8
// held records; baseline and window 16; the engines cost ~1 s of CPU per simulated second
// there, so this run is short: 10 s of arrivals, all rows stopped 30 s after the first, the
// baseline too, so the figures compare at one time). About 80-90 s
// of one core; `--quick` (1,000 nodes, random arrivals, shorter) ~15 s.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>
#include <vector>

#include "sim/balance_sim.h"

namespace {

using omx::sim::BalanceSimOptions;
using omx::sim::BalanceSimResult;
using omx::sim::ViewMode;

struct Config {
  std::string name;
  BalanceSimOptions o;
};

const char* view_name(ViewMode v) {
  switch (v) {
    case ViewMode::kNone: return "none";
    case ViewMode::kGossip: return "gossip";
    case ViewMode::kOracle: return "oracle";
  }
  return "?";
}

BalanceSimOptions base(size_t nodes, bool quick) {
  BalanceSimOptions o;
  o.nodes = nodes;
  // Old single-core boxes, dual-core standard nodes, fast quad-cores.
  o.classes = {{0.36, 1, 0.3}, {1.0, 2, 0.5}, {1.2, 4, 0.2}};
  o.offered = 0.7;
  o.arrival_s = quick ? 20 : 30;
  o.mean_work_s = 10;
  o.max_work_s = 60;
  o.warmup_s = 10;
  return o;
}

void print_header() {
  std::printf("%-31s %6s %-6s %4s %6s | %8s %8s %5s | %5s | %7s %5s | %6s %5s %5s %5s | %6s %7s | %5s\n",
              "scenario", "nodes", "view", "win", "jobs", "makespan", "ideal", "x", "util", "resp",
              "x", "mig/j", "2+", "crowd", "peak", "age", "refused", "wall");
}

void print_row(const Config& c, const BalanceSimResult& r, double base_resp) {
  char win[8] = "-";
  if (c.o.view == ViewMode::kGossip) std::snprintf(win, sizeof win, "%zu", c.o.window);
  double moves = static_cast<double>(r.migrations);
  auto pct = [&](double a, double b) { return b > 0 ? 100.0 * a / b : 0.0; };
  char age[16] = "-";
  if (c.o.view == ViewMode::kGossip) std::snprintf(age, sizeof age, "%.1fs", r.view_age_s);
  // A run stopped with jobs unfinished: makespan and response time are lower bounds ('>').
  const char* gt = r.finished != r.jobs ? ">" : " ";
  std::printf("%-31s %6zu %-6s %4s %6zu | %s%6.1fs %7.1fs %s%4.2f | %5.2f | %s%5.1fs %s%4.2f | %6.2f %4.1f%% "
              "%4.0f%% %5zu | %6s %6.1f%% | %4.1fs\n",
              c.name.c_str(), r.nodes, view_name(c.o.view), win, r.jobs, gt, r.makespan_s, r.ideal_s,
              gt, r.ideal_s > 0 ? r.makespan_s / r.ideal_s : 0, r.utilisation, gt, r.mean_response_s,
              gt, base_resp > 0 ? r.mean_response_s / base_resp : 1.0, r.migrations_per_job(),
              pct(static_cast<double>(r.moved_twice), static_cast<double>(r.jobs)),
              pct(static_cast<double>(r.crowded_arrivals), moves), r.peak_per_cpu, age,
              pct(static_cast<double>(r.admission_refused), static_cast<double>(r.decisions)), r.wall_s);
  if (r.finished != r.jobs)
    std::printf("  !! %zu of %zu jobs unfinished when stopped %.0f s after the first arrival\n",
                r.jobs - r.finished, r.jobs, c.o.max_s);
  std::fflush(stdout);
}

// One group: the baseline first (its response time is the reference; it runs to the end, it
// is cheap without gossip), then the oracle, then gossip with each window, views ordered by id
// as omxd's, then (`shuffled`) the same windows with views in random order.
// same_horizon: the baseline is stopped when the others are (figures compared at one time).
void run_group(const std::string& name, const BalanceSimOptions& o, std::vector<size_t> windows,
               bool oracle, std::vector<size_t> shuffled = {}, bool same_horizon = false) {
  std::vector<Config> cs;
  Config none{name, o};
  none.o.view = ViewMode::kNone;
  if (!same_horizon) none.o.max_s = 36000;
  cs.push_back(none);
  if (oracle) {
    Config x{name, o};
    x.o.view = ViewMode::kOracle;
    cs.push_back(x);
  }
  for (size_t w : windows) {
    Config x{name, o};
    x.o.view = ViewMode::kGossip;
    x.o.window = w;
    cs.push_back(x);
  }
  if (oracle && !shuffled.empty()) {
    Config x{name + ", shuffled", o};
    x.o.view = ViewMode::kOracle;
    x.o.shuffle_view = true;
    cs.push_back(x);
  }
  for (size_t w : shuffled) {
    Config x{name + ", shuffled", o};
    x.o.view = ViewMode::kGossip;
    x.o.window = w;
    x.o.shuffle_view = true;
    cs.push_back(x);
  }
  double base_resp = 0;
  for (const Config& c : cs) {
    BalanceSimResult r = omx::sim::run_balance_sim(c.o);
    if (c.o.view == ViewMode::kNone) base_resp = r.mean_response_s;
    print_row(c, r, base_resp);
  }
}

void suite(bool quick) {
  if (quick) {
    BalanceSimOptions o = base(1000, true);
    o.max_s = 100;
    run_group("1k, random arrivals", o, {16}, true, {4, 16, 64});
    return;
  }
  BalanceSimOptions o = base(1000, false);
  o.max_s = 150;
  run_group("1k, random arrivals", o, {4, 16, 64}, true, {4, 16, 64});
  BalanceSimOptions homes = o;
  homes.homes = 100;
  homes.offered = 0.5;
  run_group("1k, arrivals at 10% homes", homes, {16}, false, {16});
  BalanceSimOptions big = base(10000, false);
  big.learned_membership = true;
  big.arrival_s = 10;
  big.mean_work_s = 5;
  big.max_work_s = 30;
  big.warmup_s = 8;
  big.max_s = 30;
  run_group("10k, random, learned map", big, {16}, false, {}, true);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"balance_sim: the balancer over a simulated cluster with gossip"};
  BalanceSimOptions o = base(1000, false);
  bool run_suite = false, quick = false, learn = false, oracle = false;
  std::vector<size_t> windows = {16};
  app.add_flag("--suite", run_suite, "run the benchmark scenarios (./run bench)");
  app.add_flag("--quick", quick, "with --suite: 1,000 nodes only, shorter");
  app.add_option("--nodes", o.nodes, "cluster size")->check(CLI::Range(2, 65535));
  app.add_option("--windows", windows, "gossip windows to run (entries per message)");
  app.add_flag("--shuffle-view", o.shuffle_view, "experiment: views in random order per call");
  app.add_flag("--admission", o.admission,
               "experiment: the target refuses an automatic move if it shows half a process more "
               "than the decision saw (not in omxd: see docs/design.md)");
  app.add_flag("--oracle", oracle, "also run with true loads as the view (no staleness)");
  app.add_option("--step-ms", o.step_ms, "gossip step");
  app.add_flag("--learn", learn, "gossip membership learned from 32 bootstrap peers");
  app.add_option("--offered", o.offered, "offered work / capacity during the arrivals");
  app.add_option("--arrival-s", o.arrival_s, "arrivals last this long");
  app.add_option("--homes", o.homes, "jobs arrive at nodes 1..homes only (0: any node)");
  app.add_option("--mean-work-s", o.mean_work_s, "mean CPU demand (standard-speed seconds)");
  app.add_option("--max-work-s", o.max_work_s, "CPU demand cap");
  app.add_option("--max-s", o.max_s, "stop this long after the first arrival");
  app.add_option("--warmup-s", o.warmup_s, "gossip runs this long before the first job");
  app.add_option("--seed", o.seed, "random seed");
  CLI11_PARSE(app, argc, argv);
  o.learned_membership = learn;

  std::printf(
      "balancer simulation: balance::decide and the GossipEngine as in omxd; node classes 30%% "
      "0.36x1 CPU, 50%% 1.0x2, 20%% 1.2x4; Pareto(1.5) CPU demands, rss 8-512 MiB log-uniform, "
      "link 100 MB/s + 20 ms per move; 'x' of resp is against the 'none' row above it\n");
  print_header();
  if (run_suite) {
    suite(quick);
  } else {
    std::vector<size_t> shuffled;
    if (o.shuffle_view) shuffled.swap(windows);
    o.shuffle_view = false;
    run_group("custom", o, windows, oracle, shuffled);
  }
  return 0;
}
