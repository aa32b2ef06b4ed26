// GossipEngine: merge rules, window selection, ages, down detection, peer choice, membership,
// quiet; and a small simulated cluster (same engine, sim/) converging within a bound.
#include "gossip/gossip_engine.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "sim/gossip_cluster.h"

namespace omx::gossip {
namespace {

using namespace std::chrono_literals;

GossipConfig config(NodeId self, uint64_t seed = 1) {
  GossipConfig c;
  c.self = self;
  c.generation = 100;
  c.seed = seed;
  return c;
}

LoadRecord rec(NodeId id, uint32_t seq, uint32_t age_ms = 0, uint64_t gen = 1) {
  LoadRecord r;
  r.node = id;
  r.generation = gen;
  r.seq = seq;
  r.age_ms = age_ms;
  r.load = seq * 10;
  r.total_mem_mib = 100;
  return r;
}

std::vector<uint8_t> msg(std::vector<LoadRecord> recs) { return encode_gossip(recs); }

// Drives tick() until it sends; returns the message.
Outgoing tick_until_sent(GossipEngine& e, Time& now) {
  for (int i = 0; i < 10000; ++i, now += 1ms) {
    if (auto out = e.tick(now)) return *out;
  }
  ADD_FAILURE() << "engine never sent";
  return {};
}

TEST(GossipEngine, MergesNewerAndNeverOlder) {
  GossipEngine e(config(1), 0ms);
  auto st = e.on_message(1000ms, 2, msg({rec(2, 5), rec(3, 7, 300)}));
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->accepted, 2u);
  EXPECT_EQ(e.record(3, 1000ms)->record.seq, 7u);
  EXPECT_EQ(e.record(3, 1000ms)->age, 300ms);
  // Older and equal versions are dropped, whatever their ages say.
  st = e.on_message(1100ms, 4, msg({rec(4, 1), rec(3, 6, 0), rec(2, 5, 0)}));
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->stale, 2u);
  EXPECT_EQ(e.record(3, 1100ms)->record.seq, 7u);
  EXPECT_EQ(e.record(3, 1100ms)->record.load, 70u);
  EXPECT_EQ(e.record(3, 1100ms)->age, 400ms);
  // Newer replaces; a new generation beats any seq of the old one.
  st = e.on_message(1200ms, 2, msg({rec(2, 6), rec(3, 1, 50, 2)}));
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->accepted, 2u);
  EXPECT_EQ(e.record(3, 1200ms)->record.generation, 2u);
  EXPECT_EQ(e.record(3, 1200ms)->age, 50ms);
}

TEST(GossipEngine, NewerVersionNeverMakesTheRecordLookOlder) {
  GossipEngine e(config(1), 0ms);
  ASSERT_TRUE(e.on_message(1000ms, 2, msg({rec(2, 1), rec(3, 5, 100)})).ok());
  // seq 6 arrives by a slow path claiming age 900: it was made after seq 5 (origin time 900),
  // so its origin time cannot be before that.
  ASSERT_TRUE(e.on_message(1200ms, 4, msg({rec(4, 1), rec(3, 6, 900)})).ok());
  EXPECT_EQ(e.record(3, 1200ms)->record.seq, 6u);
  EXPECT_EQ(e.record(3, 1200ms)->age, 300ms);
}

TEST(GossipEngine, OwnRecordIsNeverOverwritten) {
  GossipEngine e(config(1), 0ms);
  e.set_local({.load = 55, .speed = 12000, .ncpus = 4});
  auto st = e.on_message(1000ms, 2, msg({rec(2, 1), rec(1, 999, 0, 100)}));
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->about_self, 1u);
  auto self = e.record(1, 1000ms);
  ASSERT_TRUE(self);
  EXPECT_EQ(self->record.load, 55u);
  EXPECT_EQ(self->record.speed, 12000u);
  EXPECT_EQ(self->age, 0ms);
  EXPECT_EQ(e.counters().self_conflicts, 1u);  // same generation, higher seq: id clash
}

TEST(GossipEngine, RejectsMalformedAndSpoofedMessages) {
  GossipEngine e(config(1), 0ms);
  auto bad = e.on_message(0ms, 2, std::vector<uint8_t>{1, 0, 1});
  EXPECT_FALSE(bad.ok());
  // The first record must be the sender's own.
  auto spoof = e.on_message(0ms, 2, msg({rec(3, 1), rec(2, 1)}));
  ASSERT_FALSE(spoof.ok());
  EXPECT_NE(spoof.error().what.find("first record"), std::string::npos);
  EXPECT_FALSE(e.record(2, 0ms));
  EXPECT_FALSE(e.record(3, 0ms));
  EXPECT_EQ(e.counters().rejected, 2u);
}

TEST(GossipEngine, MessageCarriesOwnRecordThenYoungestWindow) {
  GossipConfig c = config(1);
  c.window = 3;
  c.learn_from_gossip = true;
  GossipEngine e(c, 0ms);
  e.set_local({.load = 77});
  // Records of ages 100 (node 5), 200 (4), 300 (3), 400 (2), 50 (6, the destination below).
  Time now = 1000ms;
  ASSERT_TRUE(e.on_message(now, 2, msg({rec(2, 1, 400), rec(3, 1, 300), rec(4, 1, 200)})).ok());
  ASSERT_TRUE(e.on_message(now, 5, msg({rec(5, 1, 100), rec(6, 1, 50)})).ok());
  // Whichever peer is chosen, its message is checked against the expected window.
  std::map<NodeId, std::vector<LoadRecord>> seen;
  Outgoing out = tick_until_sent(e, now);
  auto decoded = decode_gossip(out.payload);
  ASSERT_TRUE(decoded.ok());
  seen[out.to] = decoded->records;
  ASSERT_FALSE(seen.empty());
  auto& [to, recs] = *seen.begin();
  ASSERT_EQ(recs.front().node, 1u);
  EXPECT_EQ(recs.front().load, 77u);
  EXPECT_EQ(recs.front().age_ms, 0u);
  ASSERT_EQ(recs.size(), 4u);  // own + window 3
  // The three youngest others, youngest first, never the destination's own record.
  std::vector<NodeId> expect;
  for (NodeId id : {6u, 5u, 4u, 3u, 2u}) {
    if (id != to && expect.size() < 3) expect.push_back(id);
  }
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(recs[i + 1].node, expect[i]) << "dest " << to;
  // Forwarded ages are the holder's current view (now - origin time).
  Time held = e.record(recs[1].node, now)->age;
  EXPECT_NEAR(static_cast<double>(recs[1].age_ms), static_cast<double>(held.count()), 1.0);
}

TEST(GossipEngine, WindowSkipsRecordsTooOldToForward) {
  GossipConfig c = config(1);
  c.forward_max_age = 2000ms;
  GossipEngine e(c, 0ms);
  ASSERT_TRUE(e.on_message(0ms, 2, msg({rec(2, 1), rec(3, 1, 1500)})).ok());
  Time now = 1000ms;  // node 3's record is now 2500 ms old, node 2's 1000 ms
  Outgoing out = tick_until_sent(e, now);
  auto recs = decode_gossip(out.payload);
  ASSERT_TRUE(recs.ok());
  for (const auto& r : recs->records) EXPECT_NE(r.node, 3u);
}

TEST(GossipEngine, WindowIsCappedByPayloadBudget) {
  GossipConfig c = config(1);
  c.window = 64;
  c.max_payload = 4 + 10 * kRecordWireSize;
  GossipEngine e(c, 0ms);
  std::vector<LoadRecord> many = {rec(2, 1)};
  for (NodeId id = 3; id < 40; ++id) many.push_back(rec(id, 1));
  ASSERT_TRUE(e.on_message(0ms, 2, msg(many)).ok());
  Time now = 0ms;
  Outgoing out = tick_until_sent(e, now);
  EXPECT_LE(out.payload.size(), c.max_payload);
  EXPECT_EQ(out.records, 10u);
}

TEST(GossipEngine, DefaultMessageStaysUnder1400BytesSealed) {
  GossipEngine e(config(1), 0ms);
  std::vector<LoadRecord> many = {rec(2, 1)};
  for (NodeId id = 3; id < 60; ++id) many.push_back(rec(id, 1));
  ASSERT_TRUE(e.on_message(0ms, 2, msg(many)).ok());
  Time now = 0ms;
  Outgoing out = tick_until_sent(e, now);
  EXPECT_EQ(out.records, 17u);  // own + 16
  EXPECT_LE(out.payload.size() + 68, 1400u);
}

TEST(GossipEngine, StepIsJitteredAroundTheConfiguredValue) {
  GossipEngine e(config(1), 0ms);
  e.add_node(2, 0ms);
  Time now = 0ms;
  tick_until_sent(e, now);
  std::vector<int64_t> gaps;
  for (int i = 0; i < 200; ++i) {
    Time next = e.next_tick();
    EXPECT_FALSE(e.tick(next - 1ms).has_value());
    ASSERT_TRUE(e.tick(next).has_value());
    gaps.push_back((e.next_tick() - next).count());
  }
  double sum = 0;
  for (auto g : gaps) {
    EXPECT_GE(g, 375);
    EXPECT_LE(g, 625);
    sum += static_cast<double>(g);
  }
  EXPECT_NEAR(sum / static_cast<double>(gaps.size()), 500.0, 25.0);
  EXPECT_NE(*std::min_element(gaps.begin(), gaps.end()),
            *std::max_element(gaps.begin(), gaps.end()));
}

TEST(GossipEngine, SeqAdvancesPerMessageAndAgeIsZero) {
  GossipEngine e(config(1), 0ms);
  e.add_node(2, 0ms);
  Time now = 0ms;
  auto a = decode_gossip(tick_until_sent(e, now).payload);
  now = e.next_tick();
  auto b = decode_gossip(e.tick(now)->payload);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(b->records[0].seq, a->records[0].seq + 1);
  EXPECT_EQ(b->records[0].generation, 100u);
  EXPECT_EQ(b->records[0].age_ms, 0u);
  EXPECT_EQ(b->flags, kWantReply);  // push-pull is the default
}

TEST(GossipEngine, DownAfterNoFreshRecord) {
  GossipEngine e(config(1), 0ms);
  e.add_node(2, 0ms);
  e.add_node(3, 0ms);
  EXPECT_FALSE(e.is_down(2, 5000ms));  // grace from add_node
  EXPECT_TRUE(e.is_down(2, 5001ms));
  ASSERT_TRUE(e.on_message(4000ms, 3, msg({rec(3, 1, 0), rec(2, 1, 1000)})).ok());
  EXPECT_FALSE(e.is_down(2, 8000ms));  // record made at 3000
  EXPECT_TRUE(e.is_down(2, 8001ms));
  EXPECT_FALSE(e.is_down(3, 9000ms));
  EXPECT_EQ(e.down_nodes(9001ms), (std::vector<NodeId>{2, 3}));
  EXPECT_FALSE(e.is_down(1, 1000000ms));  // never self
  EXPECT_TRUE(e.is_down(77, 0ms));        // unknown
  // A fresh record brings it back.
  ASSERT_TRUE(e.on_message(20000ms, 2, msg({rec(2, 2)})).ok());
  EXPECT_EQ(e.down_nodes(20000ms), (std::vector<NodeId>{3}));
  EXPECT_TRUE(e.record(3, 20000ms)->down);
}

TEST(GossipEngine, MinDeadAvoidsDeadNodesButProbesThemSometimes) {
  GossipConfig c = config(1, 99);
  c.dead_probe_probability = 0.1;
  c.stalest_probability = 0;  // the shuffled rounds alone (the stalest choice: next test)
  GossipEngine e(c, 0ms);
  for (NodeId id = 2; id <= 11; ++id) e.add_node(id, 0ms);
  // At 10 s, nodes 2..6 are alive (fresh records), 7..11 dead (nothing since being added).
  Time now = 10000ms;
  for (NodeId id = 2; id <= 6; ++id) ASSERT_TRUE(e.on_message(now, id, msg({rec(id, 1)})).ok());
  std::map<NodeId, int> hits;
  int n = 4000;
  for (int i = 0; i < n; ++i) {
    Time t = e.next_tick();
    // keep 2..6 fresh
    if (i % 10 == 0) {
      for (NodeId id = 2; id <= 6; ++id) {
        ASSERT_TRUE(e.on_message(t, id, msg({rec(id, 2 + static_cast<uint32_t>(i))})).ok());
      }
    }
    auto out = e.tick(t);
    ASSERT_TRUE(out);
    ++hits[out->to];
  }
  int dead = 0;
  for (NodeId id = 7; id <= 11; ++id) dead += hits[id];
  // Expected share of dead picks: 0.1 * 5/10 = 5 %.
  EXPECT_GT(dead, n * 2 / 100);
  EXPECT_LT(dead, n * 9 / 100);
  for (NodeId id = 2; id <= 6; ++id) EXPECT_GT(hits[id], n / 8) << id;
  EXPECT_EQ(hits[1], 0);
}

TEST(GossipEngine, MinDeadPrefersTheLiveNodeHeldOldest) {
  GossipConfig c = config(1, 3);
  c.stalest_probability = 1;
  c.dead_probe_probability = 0;
  GossipEngine e(c, 0ms);
  for (NodeId id = 2; id <= 5; ++id) e.add_node(id, 0ms);
  // Node 4's record is the oldest live one; node 5 is dead (nothing for > 5 s).
  ASSERT_TRUE(e.on_message(6000ms, 2, msg({rec(2, 1, 0), rec(3, 1, 100), rec(4, 1, 3000)})).ok());
  Time now = std::max(Time(6000ms), e.next_tick());
  auto out = e.tick(now);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->to, 4u);
}

TEST(GossipEngine, UniformPeerChoiceIgnoresDeadness) {
  GossipConfig c = config(1, 5);
  c.peer_choice = PeerChoice::kUniform;
  GossipEngine e(c, 0ms);
  for (NodeId id = 2; id <= 5; ++id) e.add_node(id, 0ms);
  std::map<NodeId, int> hits;
  Time now = 100000ms;  // everyone is "down"
  for (int i = 0; i < 2000; ++i) {
    now = std::max(now, e.next_tick());
    ++hits[e.tick(now)->to];
  }
  for (NodeId id = 2; id <= 5; ++id) EXPECT_NEAR(hits[id], 500, 100);
}

TEST(GossipEngine, AllDeadStillProbes) {
  GossipEngine e(config(1), 0ms);
  e.add_node(2, 0ms);
  Time now = 60000ms;
  now = std::max(now, e.next_tick());
  auto out = e.tick(now);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->to, 2u);
}

TEST(GossipEngine, NoPeersNoMessage) {
  GossipEngine e(config(1), 0ms);
  EXPECT_FALSE(e.tick(e.next_tick()).has_value());
}

TEST(GossipEngine, QuietSendsNothing) {
  GossipEngine e(config(1), 0ms);
  e.add_node(2, 0ms);
  e.set_local({.status = bit(StatusBit::kQuiet)});
  Time now = 0ms;
  for (int i = 0; i < 20; ++i) {
    now = e.next_tick();
    EXPECT_FALSE(e.tick(now).has_value());
  }
  e.set_local({});
  now = e.next_tick();
  EXPECT_TRUE(e.tick(now).has_value());
}

TEST(GossipEngine, PushPullAnswersOnceAndRepliesAskForNothing) {
  GossipEngine e(config(1), 0ms);
  e.add_node(2, 0ms);
  ASSERT_TRUE(e.on_message(0ms, 3, msg({rec(3, 1), rec(4, 1)})).ok());
  auto st = e.on_message(100ms, 2, encode_gossip(std::vector<LoadRecord>{rec(2, 1)}, kWantReply));
  ASSERT_TRUE(st.ok());
  ASSERT_TRUE(st->reply.has_value());
  EXPECT_EQ(st->reply->to, 2u);
  auto reply = decode_gossip(st->reply->payload);
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->flags, 0);  // no ping-pong
  EXPECT_EQ(reply->records[0].node, 1u);
  EXPECT_EQ(reply->records.size(), 3u);  // own + 3 and 4, not 2's own record
  // Without the flag, or when quiet, no reply.
  st = e.on_message(200ms, 2, msg({rec(2, 2)}));
  EXPECT_FALSE(st->reply.has_value());
  e.set_local({.status = bit(StatusBit::kQuiet)});
  st = e.on_message(300ms, 2, encode_gossip(std::vector<LoadRecord>{rec(2, 3)}, kWantReply));
  EXPECT_FALSE(st->reply.has_value());
  // Push only: the step's message does not ask.
  GossipConfig c = config(1);
  c.push_pull = false;
  GossipEngine p(c, 0ms);
  p.add_node(2, 0ms);
  Time now = 0ms;
  EXPECT_EQ(decode_gossip(tick_until_sent(p, now).payload)->flags, 0);
}

TEST(GossipEngine, MembershipLearnRemoveAndReadd) {
  GossipConfig c = config(1);
  c.learn_from_gossip = false;
  GossipEngine strict(c, 0ms);
  strict.add_node(2, 0ms);
  auto st = strict.on_message(0ms, 2, msg({rec(2, 1), rec(9, 1)}));
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->ignored, 1u);
  EXPECT_FALSE(strict.record(9, 0ms));
  EXPECT_FALSE(strict.is_member(9));

  GossipEngine e(config(1), 0ms);
  ASSERT_TRUE(e.on_message(0ms, 2, msg({rec(2, 1), rec(9, 1)})).ok());
  EXPECT_TRUE(e.is_member(9));
  EXPECT_TRUE(e.record(9, 0ms));
  e.remove_node(9);
  EXPECT_FALSE(e.is_member(9));
  EXPECT_FALSE(e.record(9, 0ms));
  EXPECT_EQ(e.members(), std::vector<NodeId>{2});
  // Records about a removed node stay out, even newer ones, until it is added again.
  st = e.on_message(100ms, 2, msg({rec(2, 2), rec(9, 5)}));
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->ignored, 1u);
  EXPECT_FALSE(e.record(9, 100ms));
  e.add_node(9, 200ms);
  ASSERT_TRUE(e.on_message(300ms, 2, msg({rec(2, 3), rec(9, 6)})).ok());
  EXPECT_EQ(e.record(9, 300ms)->record.seq, 6u);
  // A removed node is never chosen as a peer, and its record leaves the window.
  e.remove_node(9);
  Time now = 300ms;
  for (int i = 0; i < 50; ++i) {
    now = std::max(now, e.next_tick());
    auto out = e.tick(now);
    ASSERT_TRUE(out);
    EXPECT_EQ(out->to, 2u);
    for (const auto& r : decode_gossip(out->payload)->records) EXPECT_NE(r.node, 9u);
  }
}

TEST(GossipEngine, RecordsListsSelfAndAllHeldWithAges) {
  GossipEngine e(config(1), 0ms);
  ASSERT_TRUE(e.on_message(1000ms, 2, msg({rec(2, 1), rec(3, 1, 200)})).ok());
  auto all = e.records(1500ms);
  ASSERT_EQ(all.size(), 3u);
  std::map<NodeId, Time> ages;
  for (auto& h : all) ages[h.record.node] = h.age;
  EXPECT_EQ(ages[1], 0ms);
  EXPECT_EQ(ages[2], 500ms);
  EXPECT_EQ(ages[3], 700ms);
  EXPECT_EQ(e.record(3, 1500ms)->record.age_ms, 700u);
  EXPECT_EQ(e.known(), 2u);
}

// --- simulated clusters (the same engines on sim::GossipCluster) ---

sim::GossipClusterOptions cluster_opts(size_t n, uint64_t seed) {
  sim::GossipClusterOptions o;
  o.nodes = n;
  o.seed = seed;
  o.link.base_latency = 200us;
  o.link.tail_mean = 300us;
  return o;
}

// The largest true age any node holds about any other live node (or infinity if one is missing).
sim::SimTime worst_age(sim::GossipCluster& c) {
  sim::SimTime worst{0};
  for (NodeId h = 1; h <= c.size(); ++h) {
    if (!c.alive(h)) continue;
    for (NodeId o = 1; o <= c.size(); ++o) {
      if (o == h || !c.alive(o)) continue;
      auto r = c.engine(h)->record(o, sim::GossipCluster::engine_time(c.now()));
      if (!r) return sim::SimTime::max();
      auto age = c.true_age(r->record);
      if (!age) return sim::SimTime::max();
      worst = std::max(worst, *age);
    }
  }
  return worst;
}

// Oldest record over 60 s of samples every 100 ms, plus the share of samples under 2 s.
struct Freshness {
  sim::SimTime worst{0};
  double under_2s = 0;
};

Freshness watch(sim::GossipCluster& c, sim::SimTime span) {
  Freshness f;
  int n = 0, good = 0;
  for (sim::SimTime end = c.now() + span; c.now() < end; ++n) {
    c.run_until(c.now() + 100ms);
    auto w = worst_age(c);
    f.worst = std::max(f.worst, w);
    good += w < 2s ? 1 : 0;
  }
  f.under_2s = static_cast<double>(good) / n;
  return f;
}

TEST(GossipSimCluster, SixteenNodesConvergeAndStayFresh) {
  sim::GossipCluster c(cluster_opts(16, 3));
  c.start_all();
  c.run_until(5s);
  EXPECT_LT(worst_age(c), 2s) << "everyone should know everyone within 5 s";
  Freshness f = watch(c, 60s);
  // Default step (500 ms): the oldest record of all 240 pairs is under 2 s in >= 90 % of the
  // samples (95 % measured with this seed) and never reaches 3 s.
  EXPECT_GE(f.under_2s, 0.90);
  EXPECT_LT(f.worst, 3s);
  EXPECT_EQ(c.decode_errors(), 0u);
}

TEST(GossipSimCluster, SixteenNodesAt400msStayUnder2s) {
  // Issue 3's bound (oldest record any node holds under 2 s) holds at all times with a 400 ms step.
  auto o = cluster_opts(16, 8);
  o.engine.step = 400ms;
  sim::GossipCluster c(o);
  c.start_all();
  c.run_until(5s);
  Freshness f = watch(c, 60s);
  EXPECT_LT(f.worst, 2s);
}

TEST(GossipSimCluster, HundredNodesConvergeWithLoss) {
  auto o = cluster_opts(100, 4);
  o.link.loss = 0.05;
  sim::GossipCluster c(o);
  c.start_all();
  c.run_until(40s);
  auto w = worst_age(c);
  EXPECT_LT(w, 30s) << "every node knows every other, none older than 30 s";
}

TEST(GossipSimCluster, DeathIsNoticedAndRestartIsSeen) {
  sim::GossipCluster c(cluster_opts(16, 5));
  c.start_all();
  c.run_until(5s);
  c.kill_node(7);
  sim::SimTime killed = c.now();
  // Everyone marks 7 down within down_after plus a couple of steps.
  bool all_down = false;
  while (!all_down && c.now() < killed + 10s) {
    c.run_until(c.now() + 100ms);
    all_down = true;
    for (NodeId h = 1; h <= 16; ++h) {
      if (h != 7 && !c.engine(h)->is_down(7, sim::GossipCluster::engine_time(c.now()))) {
        all_down = false;
      }
    }
  }
  EXPECT_TRUE(all_down);
  EXPECT_LT(c.now() - killed, 7s);
  EXPECT_GE(c.now() - killed, 4s);  // 5 s after the last record 7 made, which is < 1 s old
  // Nobody else was wrongly marked down.
  for (NodeId h = 1; h <= 16; ++h) {
    if (h == 7) continue;
    auto down = c.engine(h)->down_nodes(sim::GossipCluster::engine_time(c.now()));
    EXPECT_EQ(down, std::vector<NodeId>{7}) << "holder " << h;
  }
  // Restart: a new generation; everyone sees it up again within 2 s (mindead probes it).
  c.start_node(7);
  sim::SimTime restarted = c.now();
  c.run_until(restarted + 3s);
  for (NodeId h = 1; h <= 16; ++h) {
    if (h == 7) continue;
    auto r = c.engine(h)->record(7, sim::GossipCluster::engine_time(c.now()));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->record.generation, 2u);
    EXPECT_FALSE(r->down);
  }
}

}  // namespace
}  // namespace omx::gossip
