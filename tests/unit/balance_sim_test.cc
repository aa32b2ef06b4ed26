// The balancer simulator (sim/balance_sim.h) on small clusters with hand-written job traces:
// processor sharing is exact without balancing, the balancer (fed by real gossip) spreads jobs
// that all start on one node, never sends anything to a blocking node, takes a job off a slow
// node, and a run is a function of its seed.
#include <gtest/gtest.h>

#include "sim/balance_sim.h"

namespace omx::sim {
namespace {

constexpr uint64_t kMiB = 1ull << 20;

// n equal single-CPU nodes; `jobs` jobs of `work` s arrive at node 1 at time 0.
BalanceSimOptions all_at_node_one(size_t n, size_t jobs, double work, ViewMode view) {
  BalanceSimOptions o;
  o.nodes = n;
  o.view = view;
  o.warmup_s = 5;
  o.max_s = 1000;
  for (size_t i = 0; i < jobs; ++i)
    o.trace.push_back({.arrive_s = 0, .work_s = work, .rss = 16 * kMiB, .home = 1});
  return o;
}

TEST(BalanceSim, WithoutBalancingJobsShareTheirNode) {
  BalanceSimResult r = run_balance_sim(all_at_node_one(8, 8, 30, ViewMode::kNone));
  EXPECT_EQ(r.finished, 8u);
  EXPECT_NEAR(r.makespan_s, 240, 0.01);  // 8 x 30 s on one CPU, all finishing together
  EXPECT_NEAR(r.ideal_s, 30, 1e-9);      // 240 s of work on 8 CPUs
  EXPECT_NEAR(r.mean_response_s, 240, 0.01);
  EXPECT_EQ(r.migrations, 0u);
  // One CPU busy while 8 jobs could have used 8.
  EXPECT_NEAR(r.utilisation, 1.0 / 8, 0.001);
}

TEST(BalanceSim, GossipViewsSpreadJobsStartedOnOneNode) {
  BalanceSimResult none = run_balance_sim(all_at_node_one(8, 8, 30, ViewMode::kNone));
  BalanceSimResult r = run_balance_sim(all_at_node_one(8, 8, 30, ViewMode::kGossip));
  EXPECT_EQ(r.finished, 8u);
  EXPECT_GE(r.migrations, 6u);  // at least 6 of the 8 had to leave node 1 ...
  EXPECT_LE(r.migrations, 12u);  // ... without much back and forth
  EXPECT_LT(r.makespan_s, 0.5 * none.makespan_s);
  EXPECT_GT(r.utilisation, 2 * none.utilisation);
  EXPECT_LT(r.mean_response_s, 0.5 * none.mean_response_s);
  uint64_t received = 0;
  for (size_t id = 2; id <= 8; ++id) received += r.received[id] > 0 ? 1 : 0;
  EXPECT_GE(received, 6u);  // spread over the others, not piled on one
}

TEST(BalanceSim, OracleViewsSpreadJobsToo) {
  BalanceSimResult r = run_balance_sim(all_at_node_one(8, 8, 30, ViewMode::kOracle));
  EXPECT_EQ(r.finished, 8u);
  EXPECT_GE(r.migrations, 6u);
  EXPECT_LT(r.makespan_s, 120);
}

TEST(BalanceSim, BlockingNodeReceivesNothing) {
  BalanceSimOptions o = all_at_node_one(8, 8, 30, ViewMode::kGossip);
  o.blocked = {5};
  BalanceSimResult r = run_balance_sim(o);
  EXPECT_EQ(r.finished, 8u);
  EXPECT_EQ(r.received[5], 0u);
  EXPECT_GE(r.migrations, 5u);
}

TEST(BalanceSim, JobLeavesSlowNodeForFastIdleOne) {
  BalanceSimOptions o;
  o.nodes = 2;
  o.classes = {{0.36, 1, 1}, {1.0, 1, 1}};
  o.shuffle_classes = false;  // node 1 slow, node 2 standard
  o.warmup_s = 5;
  o.trace.push_back({.arrive_s = 0, .work_s = 60, .rss = 16 * kMiB, .home = 1});
  BalanceSimResult none = run_balance_sim([&] { auto x = o; x.view = ViewMode::kNone; return x; }());
  EXPECT_NEAR(none.makespan_s, 60 / 0.36, 0.01);
  BalanceSimResult r = run_balance_sim(o);
  EXPECT_EQ(r.migrations, 1u);
  EXPECT_EQ(r.received[2], 1u);
  EXPECT_LT(r.makespan_s, 70);  // a few seconds at 0.36 before moving, then 1.0
  EXPECT_NEAR(r.ideal_s, 60, 1e-9);
}

BalanceSimOptions random_workload(uint64_t seed) {
  BalanceSimOptions o;
  o.nodes = 16;
  o.classes = {{0.36, 1, 0.3}, {1.0, 2, 0.5}, {1.2, 4, 0.2}};
  o.arrival_s = 20;
  o.homes = 2;
  o.offered = 0.6;
  o.warmup_s = 5;
  o.seed = seed;
  return o;
}

TEST(BalanceSim, SameSeedSameRun) {
  BalanceSimResult a = run_balance_sim(random_workload(7));
  BalanceSimResult b = run_balance_sim(random_workload(7));
  EXPECT_EQ(a.jobs, b.jobs);
  EXPECT_GT(a.jobs, 10u);
  EXPECT_EQ(a.finished, a.jobs);
  EXPECT_EQ(a.migrations, b.migrations);
  EXPECT_EQ(a.decide_calls, b.decide_calls);
  EXPECT_EQ(a.makespan_s, b.makespan_s);
  EXPECT_EQ(a.mean_response_s, b.mean_response_s);
  EXPECT_EQ(a.received, b.received);
  BalanceSimResult c = run_balance_sim(random_workload(8));
  EXPECT_NE(a.total_work_s, c.total_work_s);
}

TEST(BalanceSim, BaselineSeesTheSameTrace) {
  BalanceSimOptions o = random_workload(3);
  BalanceSimResult g = run_balance_sim(o);
  o.view = ViewMode::kNone;
  BalanceSimResult n = run_balance_sim(o);
  EXPECT_EQ(g.jobs, n.jobs);
  EXPECT_EQ(g.total_work_s, n.total_work_s);
  EXPECT_EQ(g.ideal_s, n.ideal_s);
  EXPECT_EQ(n.migrations, 0u);
  // Jobs arriving at 2 of 16 nodes: balancing must beat leaving them there.
  EXPECT_LT(g.mean_response_s, n.mean_response_s);
  EXPECT_GT(g.utilisation, n.utilisation);
}

}  // namespace
}  // namespace omx::sim
