// The balancer's rules (balance/balancer.h), each with load vectors written here. Units: load
// 100 = one runnable process on a standard-speed (10000) CPU; times in seconds; 1 MiB = 1 << 20.
#include <gtest/gtest.h>

#include <set>

#include "balance/balancer.h"

namespace omx::balance {
namespace {

constexpr uint64_t kMiB = 1ull << 20;
constexpr uint64_t kGiB = 1ull << 30;

NodeView node(NodeId id, uint32_t load, uint32_t speed = kStdSpeed, uint16_t cpus = 1) {
  NodeView n;
  n.id = id;
  n.load = load;
  n.speed = speed;
  n.cpus = cpus;
  n.mem_total = 8 * kGiB;
  n.mem_free = 6 * kGiB;
  return n;
}

ProcView proc(pid_t pid, double cpu_s, uint64_t rss = 10 * kMiB, NodeId home = 1) {
  ProcView p;
  p.pid = pid;
  p.home = home;
  p.rss = rss;
  p.cpu_seconds = cpu_s;
  p.resident_s = 10;
  return p;
}

const Link kLink{100e6, 0.02};  // 100 MB/s, 20 ms per move

TEST(Balance, LoadIsNormalisedBySpeedAndCpus) {
  EXPECT_DOUBLE_EQ(procs_of(node(1, 200)), 2.0);
  EXPECT_DOUBLE_EQ(procs_of(node(1, 100, 20000)), 2.0);      // twice as fast: 2 processes
  EXPECT_DOUBLE_EQ(procs_of(node(1, 100, kStdSpeed, 4)), 4.0);
  EXPECT_DOUBLE_EQ(rate_on(node(1, 0), 2), 5000);            // two processes share one CPU
  EXPECT_DOUBLE_EQ(rate_on(node(1, 0, 20000, 2), 2), 20000);  // two CPUs: each runs at full speed
  std::vector<NodeView> ns = {node(1, 0), node(2, 0, 20000), node(3, 0, kStdSpeed, 4)};
  EXPECT_EQ(one_process_load(ns, 1), 100u);
  EXPECT_EQ(one_process_load(ns, 2), 50u);
  EXPECT_EQ(one_process_load(ns, 3), 25u);
  EXPECT_EQ(one_process_load(ns, 9), 100u);  // unknown: a standard node's
  EXPECT_DOUBLE_EQ(speed_factor(ns, 2), 2.0);
  EXPECT_DOUBLE_EQ(speed_factor(ns, 9), 1.0);
}

TEST(Balance, MovesFromABusyNodeToAnIdleOne) {
  // Three processes here (rate 1/3): 10 s used -> ~30 s to go; alone on node 2: ~13 s + 0.12 s.
  auto d = decide(1, {node(1, 300), node(2, 0)}, {proc(7, 10)}, kLink);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->pid, 7);
  EXPECT_EQ(d->to, 2u);
  EXPECT_NEAR(d->gain_s, 30 - (0.02 + 10 * kMiB / 100e6) - 13.0, 0.05);
  EXPECT_NE(d->reason.find("load"), std::string::npos);
}

TEST(Balance, PrefersTheFasterIdleNode) {
  auto d = decide(1, {node(1, 300), node(2, 0), node(3, 0, 20000)}, {proc(7, 10)}, kLink);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->to, 3u);
}

TEST(Balance, BalancedNodesKeepTheirProcesses) {
  EXPECT_FALSE(decide(1, {node(1, 100), node(2, 100)}, {proc(7, 10)}, kLink));
  EXPECT_FALSE(decide(1, {node(1, 200), node(2, 200)}, {proc(7, 10)}, kLink));
}

TEST(Balance, AntiPingPongMarginStopsSmallImbalances) {
  // Two processes here, 0.8 on node 2. Counting the mover 1.3 times there (MOSIX 130 %) it
  // would not finish sooner; counting it once it would, and the next round would move it back.
  std::vector<NodeView> nodes = {node(1, 200), node(2, 80)};
  EXPECT_FALSE(decide(1, nodes, {proc(7, 10)}, kLink));
  Policy no_margin;
  no_margin.stab_factor = 1.0;
  EXPECT_TRUE(decide(1, nodes, {proc(7, 10)}, kLink, no_margin));
}

TEST(Balance, YoungProcessesDoNotMove) {
  // 0.05 s used, ~0.15 s to go here: less than twice the 0.12 s move.
  EXPECT_FALSE(decide(1, {node(1, 300), node(2, 0)}, {proc(7, 0.05)}, kLink));
  ProcView just_arrived = proc(8, 10);
  just_arrived.resident_s = 1;  // under min_residency (2 s)
  EXPECT_FALSE(decide(1, {node(1, 300), node(2, 0)}, {just_arrived}, kLink));
}

TEST(Balance, TheMoveMustPayForItsResidentSet) {
  // 1 GiB over 100 MB/s: 10.8 s to move. ~30 s to go here, ~13 s there: gain 6.2 s < 10.8 s.
  EXPECT_FALSE(decide(1, {node(1, 300), node(2, 0)}, {proc(7, 10, kGiB)}, kLink));
  // Over a 1 GB/s link the same move takes 1.1 s and pays.
  auto d = decide(1, {node(1, 300), node(2, 0)}, {proc(7, 10, kGiB)}, Link{1e9, 0.02});
  ASSERT_TRUE(d);
  EXPECT_EQ(d->to, 2u);
}

TEST(Balance, PicksTheProcessWithTheBiggestGain) {
  auto d = decide(1, {node(1, 300), node(2, 0)}, {proc(7, 5), proc(8, 20), proc(9, 10)}, kLink);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->pid, 8);
}

TEST(Balance, StayLstayBlockQuietAndDownAreRespected) {
  NodeView me = node(1, 300);
  me.stay = true;
  EXPECT_FALSE(decide(1, {me, node(2, 0)}, {proc(7, 10)}, kLink));

  me = node(1, 300);
  me.lstay = true;  // local processes stay, guests may go
  EXPECT_FALSE(decide(1, {me, node(2, 0)}, {proc(7, 10, 10 * kMiB, /*home=*/1)}, kLink));
  auto d = decide(1, {me, node(2, 0)}, {proc(8, 10, 10 * kMiB, /*home=*/3)}, kLink);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->pid, 8);

  for (int flag = 0; flag < 3; ++flag) {
    NodeView idle = node(2, 0);
    if (flag == 0) idle.block = true;
    if (flag == 1) idle.quiet = true;
    if (flag == 2) idle.up = false;
    auto e = decide(1, {node(1, 300), idle, node(3, 150)}, {proc(7, 10)}, kLink);
    ASSERT_TRUE(e) << flag;
    EXPECT_EQ(e->to, 3u) << flag;  // the next best, never node 2
  }
}

TEST(Balance, LockedAndCantmoveProcessesStay) {
  ProcView locked = proc(7, 10);
  locked.locked = true;
  ProcView threads = proc(8, 10);
  threads.cantmove = "clone_vm";
  EXPECT_FALSE(decide(1, {node(1, 300), node(2, 0)}, {locked, threads}, kLink));
}

TEST(Balance, MemoryUsheringMovesTheBiggestProcessWhereThereIsRoom) {
  NodeView me = node(1, 100);
  me.mem_total = 1 * kGiB;
  me.mem_free = 50 * kMiB;  // under 10 %
  NodeView idle_small = node(2, 0);
  idle_small.mem_free = 200 * kMiB;  // idle, but no room for 300 MiB + reserve
  NodeView busy_roomy = node(3, 500);
  busy_roomy.mem_free = 4 * kGiB;
  auto d = decide(1, {me, idle_small, busy_roomy},
                  {proc(7, 10, 20 * kMiB), proc(8, 0.01, 300 * kMiB)}, kLink);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->pid, 8);   // the largest resident set, however young
  EXPECT_EQ(d->to, 3u);   // room beats load
  EXPECT_NE(d->reason.find("memory"), std::string::npos);
  // With enough free memory the same vectors move nothing (loads are balanced enough).
  me.mem_free = 500 * kMiB;
  EXPECT_FALSE(decide(1, {me, idle_small, busy_roomy}, {proc(7, 10, 20 * kMiB)}, kLink));
}

TEST(Balance, AGuestGoesHomeEvenWhenHomeBlocksAndPaysTwoMovesForAThirdNode) {
  // Node 2 runs a guest from node 1 among three processes. Home blocks guests, yet takes its own
  // process back.
  NodeView home = node(1, 0);
  home.block = true;
  auto d = decide(2, {home, node(2, 300), node(3, 0)}, {proc(7, 10, 100 * kMiB, /*home=*/1)}, kLink);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->to, 1u);  // equal rates: home costs one move (1.1 s), node 3 two (2.1 s)
  // A large resident set makes the third node's double move visible in the gain.
  home.block = false;
  home.load = 100;  // home busier than node 3 now
  ProcView big = proc(7, 30, 500 * kMiB, /*home=*/1);
  EXPECT_DOUBLE_EQ(move_cost(big, 2, 1, kLink), kLink.move_seconds(500 * kMiB));
  EXPECT_DOUBLE_EQ(move_cost(big, 2, 3, kLink), 2 * kLink.move_seconds(500 * kMiB));
  EXPECT_DOUBLE_EQ(move_cost(big, 1, 3, Link{100e6, 0.02}), kLink.move_seconds(500 * kMiB));
  auto e = decide(2, {home, node(2, 300), node(3, 0)}, {big}, kLink);
  ASSERT_TRUE(e);
  // Here 30 s used at 1/3 speed: 90 s to go. Home (1 + 1.3 processes): 69 s + one move (5.3 s);
  // node 3 (1.3): 39 s + two moves (10.5 s).
  double here = 90, home_s = 69 + kLink.move_seconds(500 * kMiB),
         third_s = 39 + 2 * kLink.move_seconds(500 * kMiB);
  EXPECT_EQ(e->to, 3u);
  EXPECT_NEAR(e->gain_s, here - std::min(home_s, third_s), 0.05);
  // Another node's guest is still refused by a blocking node 1.
  home.block = true;
  auto f = decide(2, {home, node(2, 300), node(3, 100)}, {proc(8, 10, 10 * kMiB, /*home=*/4)}, kLink);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->to, 3u);
}

TEST(Balance, HintsCpuBoundMovesYoungIoBoundOnlyForMemory) {
  ProcView young = proc(7, 0.01);  // too young to pay for a move
  EXPECT_FALSE(decide(1, {node(1, 300), node(2, 0)}, {young}, kLink));
  young.hint = Hint::kCpu;  // mosrun -c: expected to run long
  auto d = decide(1, {node(1, 300), node(2, 0)}, {young}, kLink);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->to, 2u);
  young.resident_s = 0.5;  // still not within min_residency of arriving
  EXPECT_FALSE(decide(1, {node(1, 300), node(2, 0)}, {young}, kLink));

  ProcView io = proc(8, 10);
  io.hint = Hint::kIo;  // mosrun -i: only memory ushering moves it
  EXPECT_FALSE(decide(1, {node(1, 300), node(2, 0)}, {io}, kLink));
  NodeView me = node(1, 300);
  me.mem_total = 1 * kGiB;
  me.mem_free = 50 * kMiB;
  auto u = decide(1, {me, node(2, 0)}, {io}, kLink);
  ASSERT_TRUE(u);
  EXPECT_EQ(u->to, 2u);
}

TEST(Balance, BestNodeForAStartAndForMigrateBalance) {
  // At start (not counted anywhere yet): the node where one more process runs fastest.
  NodeId at = best_node({node(1, 100), node(2, 0), node(3, 0)}, 1, 1, 10 * kMiB, false);
  EXPECT_TRUE(at == 2 || at == 3) << at;
  EXPECT_EQ(best_node({node(1, 0), node(2, 0)}, 1, 1, 10 * kMiB, false), 1u);  // ties stay
  EXPECT_EQ(best_node({node(1, 100), node(2, 100), node(3, 0, 5000)}, 1, 1, 10 * kMiB, false), 1u);
  EXPECT_EQ(best_node({node(1, 100), node(2, 0, 20000), node(3, 0)}, 1, 1, 10 * kMiB, false), 2u);
  EXPECT_EQ(best_node({node(1, 0), node(2, 0, kStdSpeed, 4)}, 1, 1, 10 * kMiB, false), 1u);
  // Two CPUs, one process: a second one still runs at full speed here.
  EXPECT_EQ(best_node({node(1, 50, kStdSpeed, 2), node(2, 0)}, 1, 1, 10 * kMiB, false), 1u);
  // Counted where it runs: another node must beat it with the 1.3 margin.
  EXPECT_EQ(best_node({node(1, 200), node(2, 100)}, 1, 1, 10 * kMiB, true), 1u);  // 1/2 vs 1/2.3
  EXPECT_EQ(best_node({node(1, 300), node(2, 100)}, 1, 1, 10 * kMiB, true), 2u);  // 1/3 vs 1/2.3
  // Never to a node that blocks, is quiet, down or full; home is fine even when it blocks.
  NodeView b = node(2, 0);
  b.block = true;
  EXPECT_EQ(best_node({node(1, 300), b}, 1, 1, 10 * kMiB, true), 1u);
  EXPECT_EQ(best_node({b, node(3, 300)}, 3, /*home=*/2, 10 * kMiB, true), 2u);
  NodeView full = node(2, 0);
  full.mem_free = 10 * kMiB;
  EXPECT_EQ(best_node({node(1, 300), full}, 1, 1, 10 * kMiB, true), 1u);
  EXPECT_EQ(best_node({node(2, 0)}, 1, 1, 10 * kMiB, true), 1u);  // current unknown: stays
}

TEST(Balance, EqualTargetsAreSharedNotAllTheFirst) {
  // Fifty busy nodes each decide about one process; ten idle nodes look exactly alike. Every
  // table is in id order, as omxd's are: the choices must still spread over the idle nodes.
  std::vector<NodeView> nodes;
  for (NodeId id = 1; id <= 60; ++id) nodes.push_back(node(id, id <= 50 ? 300 : 0));
  std::set<NodeId> chosen, placed;
  for (NodeId self = 1; self <= 50; ++self) {
    auto d = decide(self, nodes, {proc(static_cast<pid_t>(1000 + self), 10, 10 * kMiB, self)}, kLink);
    ASSERT_TRUE(d);
    EXPECT_GT(d->to, 50u);
    chosen.insert(d->to);
    placed.insert(best_node(nodes, self, self, 10 * kMiB + self, false));
  }
  EXPECT_GE(chosen.size(), 6u);
  EXPECT_GE(placed.size(), 6u);
  // The same question gets the same answer (no flicker from round to round).
  auto a = decide(7, nodes, {proc(1007, 10, 10 * kMiB, 7)}, kLink);
  auto b = decide(7, nodes, {proc(1007, 10, 10 * kMiB, 7)}, kLink);
  EXPECT_EQ(a->to, b->to);
  // A clearly better target still wins over the hash: node 61, twice as fast.
  nodes.push_back(node(61, 0, 20000));
  for (NodeId self = 1; self <= 10; ++self)
    EXPECT_EQ(decide(self, nodes, {proc(static_cast<pid_t>(1000 + self), 10, 10 * kMiB, self)}, kLink)->to, 61u);
}

// Waiting for home (balancer.h "Waiting for home"): `waiter` is a process of home node 1 whose
// body waits `w` of its wall time on forwarded calls; 2 s of CPU used so far, 10 MiB.
ProcView waiter(double w, NodeId home = 1, double cpu_s = 2) {
  ProcView p = proc(7, cpu_s, 10 * kMiB, home);
  p.home_wait = w;
  return p;
}

TEST(BalanceIo, RateAwayIsScaledByTheWait) {
  EXPECT_DOUBLE_EQ(io_factor(0.9, 1, 1), 1.0);   // at home: native calls
  EXPECT_NEAR(io_factor(0.9, 1, 2), 0.1, 1e-12);
  EXPECT_DOUBLE_EQ(io_factor(0.0, 1, 2), 1.0);
  EXPECT_DOUBLE_EQ(io_factor(1.0, 1, 2), 0.05);  // floored: blocked on home is not "infinitely slow"
  EXPECT_DOUBLE_EQ(io_factor(-3, 1, 2), 1.0);    // out-of-range inputs are clamped
}

TEST(BalanceIo, AWaiterAwayOnAnIdleNodeComesHomeToABusyishHome) {
  // On node 2 (load 10: it sleeps most of the time) it waits 90 %: rate 10000 x 0.1 -> 2 s of
  // work take 20 s. Home shows load 100, 0.9 of it serving this process's calls:
  // 10000 / (1 - 0.9 + 1.3) = 7143 -> 2.8 s. Node 3 is idle but it would wait there as much:
  // 7692 x 0.1 -> 26 s, and two moves.
  std::vector<NodeView> nodes = {node(1, 100), node(2, 10), node(3, 0)};
  auto d = decide(2, nodes, {waiter(0.9)}, kLink);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->to, 1u);
  EXPECT_NEAR(d->gain_s, 20 - 2 * 1.4 - (0.02 + 10 * kMiB / 100e6), 0.05);
  EXPECT_NE(d->reason.find("waits 90 %"), std::string::npos) << d->reason;
  // Home busier (three others): 10000 / (3 - 0.9 + 1.3) -> 6.8 s; still home.
  EXPECT_EQ(decide(2, {node(1, 300), node(2, 10), node(3, 0)}, {waiter(0.9)}, kLink)->to, 1u);
  // Without that correction an idle home serving its calls (load 190) would look like 2 others.
  EXPECT_DOUBLE_EQ(others_on(node(1, 190), 0.9, 1, 2), 1.0);
  EXPECT_DOUBLE_EQ(others_on(node(1, 190), 0.9, 1, 1), 1.9);   // at home: no deputy to discount
  EXPECT_DOUBLE_EQ(others_on(node(3, 190), 0.9, 1, 2), 1.9);   // not its home
  EXPECT_DOUBLE_EQ(others_on(node(1, 50), 0.9, 1, 2), 0.0);    // never below 0
}

TEST(BalanceIo, ACpuBoundOrLightWaiterStaysAway) {
  // CPU-bound on an idle node 2, home idle too: 2 s here against 2.6 s at home (the 1.3 margin).
  EXPECT_FALSE(decide(2, {node(1, 0), node(2, 100), node(3, 0)}, {waiter(0.0)}, kLink));
  // A 5 % waiter: 10000 x 0.95 here against 7692 at home: stays.
  EXPECT_FALSE(decide(2, {node(1, 0), node(2, 100), node(3, 0)}, {waiter(0.05)}, kLink));
  // A 50 % waiter, home running two others: 5000 here against 10000 / (2 - 0.5 + 1.3) = 3571
  // at home: stays.
  EXPECT_FALSE(decide(2, {node(1, 200), node(2, 10), node(3, 0)}, {waiter(0.5)}, kLink));
  // ...and is not sent to the idle node 3 (7692 x 0.5 there).
  EXPECT_FALSE(decide(2, {node(1, 200), node(2, 10), node(3, 0)}, {waiter(0.5, 1, 10)}, kLink));
  // With one other at home (10000 / 1.8 = 5556 > 5000) it comes home for 10 s of work.
  EXPECT_EQ(decide(2, {node(1, 100), node(2, 10), node(3, 0)}, {waiter(0.5, 1, 10)}, kLink)->to, 1u);
}

TEST(BalanceIo, HomeDoesNotSendOutAProcessThatWaitsForHome) {
  // At home with one other process (rate 5000): 10 s of work -> 20 s. Node 2 idle: 7692 ->
  // 13 s, a CPU-bound process goes...
  std::vector<NodeView> nodes = {node(1, 200), node(2, 0)};
  auto d = decide(1, nodes, {waiter(0.0, 1, 10)}, kLink);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->to, 2u);
  // ...one whose remembered wait is 60 % would take 10 / (7692 x 0.4) = 32.5 s there: stays.
  EXPECT_FALSE(decide(1, nodes, {waiter(0.6, 1, 10)}, kLink));
  // A 20 % waiter still gains there (16.3 s): goes.
  EXPECT_TRUE(decide(1, nodes, {waiter(0.2, 1, 10)}, kLink));
  // Three others at home (rate 2500: 40 s) outweigh even a 60 % wait (32.5 s).
  EXPECT_EQ(decide(1, {node(1, 400), node(2, 0)}, {waiter(0.6, 1, 10)}, kLink)->to, 2u);
}

TEST(BalanceIo, BestNodeCountsTheWait) {
  // At home with one other process; node 2 idle: the CPU-bound one should go, the waiter not.
  std::vector<NodeView> nodes = {node(1, 200), node(2, 0)};
  EXPECT_EQ(best_node(nodes, 1, 1, 10 * kMiB, true), 2u);
  EXPECT_EQ(best_node(nodes, 1, 1, 10 * kMiB, true, {}, 0.8), 1u);
  // Away on node 2, a waiter's best is home.
  EXPECT_EQ(best_node({node(1, 0), node(2, 100)}, 2, 1, 10 * kMiB, true, {}, 0.8), 1u);
  EXPECT_EQ(best_node({node(1, 0), node(2, 100)}, 2, 1, 10 * kMiB, true, {}, 0.0), 2u);
}

}  // namespace
}  // namespace omx::balance
