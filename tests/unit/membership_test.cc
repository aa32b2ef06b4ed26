// Membership (pure): map nodes, discovered nodes, up/down by silence and by "leaving", id
// conflicts, forgetting, map changes; and the announce codec.
#include <gtest/gtest.h>

#include "membership/announce.h"
#include "membership/membership.h"
#include "membership/node_rows.h"

namespace omx::membership {
namespace {

using Kind = MembershipEvent::Kind;
using cluster::Ipv4;

Ipv4 ip(const char* s) { return *Ipv4::parse(s); }

cluster::NodeMap map_of(const std::string& text) {
  auto m = cluster::parse_node_map(text, "test.map", [](const std::string&) -> Result<Ipv4> {
    return make_error(ErrorCode::kInvalid, "no resolver in tests");
  });
  OMX_CHECK(m.ok(), "bad test map");
  return *m;
}

Announce ann(const char* addr, uint8_t flags = 0, uint64_t inc = 7) {
  return Announce{ip(addr), 4660, flags, inc};
}

TEST(Membership, MapNodesAreListedDownUntilHeardThenDownAfterSilence) {
  Membership m(1, ip("10.0.0.1"), 4660, 3000);
  auto ev = m.set_map(map_of("1 10.0.0.1 3\n"), 4660);
  EXPECT_EQ(ev, (std::vector<MembershipEvent>{{Kind::kJoined, 2}, {Kind::kJoined, 3}}));
  EXPECT_EQ(m.find(2)->state, NodeState::kDown);
  EXPECT_EQ(m.find(1)->state, NodeState::kUp);
  EXPECT_EQ(m.on_heard(1000, 2), (std::vector<MembershipEvent>{{Kind::kUp, 2}}));
  EXPECT_TRUE(m.on_heard(1500, 2).empty());
  EXPECT_EQ(m.up_peers(), std::vector<cluster::NodeId>{2});
  EXPECT_TRUE(m.tick(4499).empty());
  EXPECT_EQ(m.tick(4500), (std::vector<MembershipEvent>{{Kind::kDown, 2}}));
  EXPECT_TRUE(m.tick(100000).empty());  // map nodes are never forgotten
  EXPECT_NE(m.find(2), nullptr);
  EXPECT_EQ(m.find(1)->state, NodeState::kUp);  // self never goes down
}

TEST(Membership, OldRecordsDoNotRaiseANode) {
  Membership m(1, ip("10.0.0.1"), 4660, 3000);
  m.set_map(map_of("1 10.0.0.1 2\n"), 4660);
  EXPECT_TRUE(m.on_heard(10000, 2, 3000).empty());  // a record 3 s old says nothing
  EXPECT_EQ(m.on_heard(10000, 2, 2000).size(), 1u);
  EXPECT_EQ(m.find(2)->last_heard_ms, 8000);
  EXPECT_EQ(m.tick(11000).size(), 1u);  // 3 s after the record's time
}

TEST(Membership, DiscoveredNodesJoinLeaveAndAreForgotten) {
  Membership m(5, ip("10.0.0.5"), 4660, 3000);
  auto ev = m.on_announce(100, 9, ann("10.0.0.9"));
  EXPECT_EQ(ev, (std::vector<MembershipEvent>{{Kind::kJoined, 9}, {Kind::kUp, 9}}));
  EXPECT_EQ(m.find(9)->source, NodeSource::kDiscovered);
  EXPECT_EQ(m.find(9)->incarnation, 7u);
  EXPECT_EQ(m.on_announce(200, 9, ann("10.0.0.9", kAnnounceLeaving)),
            (std::vector<MembershipEvent>{{Kind::kDown, 9}}));
  EXPECT_EQ(m.on_announce(300, 9, ann("10.0.0.9", 0, 8)),
            (std::vector<MembershipEvent>{{Kind::kUp, 9}}));  // restarted
  EXPECT_EQ(m.tick(3300), (std::vector<MembershipEvent>{{Kind::kDown, 9}}));
  EXPECT_EQ(m.tick(300 + Membership::kForgetAfterMs), (std::vector<MembershipEvent>{{Kind::kLeft, 9}}));
  EXPECT_EQ(m.find(9), nullptr);
  EXPECT_TRUE(m.on_announce(400, 10, ann("10.0.0.10", kAnnounceLeaving)).empty());  // unknown, leaving
  EXPECT_TRUE(m.on_announce(400, 5, ann("10.0.0.5")).empty());  // own id: ignored
}

TEST(Membership, ConflictingClaimsKeepTheMapAndTheLiveNode) {
  Membership m(1, ip("10.0.0.1"), 4660, 3000);
  m.set_map(map_of("1 10.0.0.1 2\n"), 4660);
  EXPECT_TRUE(m.on_announce(100, 2, ann("10.9.9.9")).empty());
  EXPECT_EQ(m.find(2)->addr, ip("10.0.0.2"));
  EXPECT_EQ(m.conflicts(), 1u);
  m.on_announce(100, 7, ann("10.0.0.7"));
  EXPECT_TRUE(m.on_announce(200, 7, ann("10.0.0.8")).empty());  // 7 is up at .7
  EXPECT_EQ(m.find(7)->addr, ip("10.0.0.7"));
  m.tick(5000);  // 7 down: a new claim may take the id
  EXPECT_EQ(m.on_announce(5100, 7, ann("10.0.0.8")), (std::vector<MembershipEvent>{{Kind::kUp, 7}}));
  EXPECT_EQ(m.find(7)->addr, ip("10.0.0.8"));
}

TEST(Membership, NewMapRemovesVanishedNodesAndAddsNewOnes) {
  Membership m(1, ip("10.0.0.1"), 4660, 3000);
  m.set_map(map_of("1 10.0.0.1 3\n"), 4660);
  m.on_announce(100, 9, ann("10.0.0.9"));
  auto ev = m.set_map(map_of("1 10.0.0.1 1\n3 10.0.0.3 1\n4 10.0.0.4 1\n9 10.0.0.9 1\n"), 4660);
  EXPECT_EQ(ev, (std::vector<MembershipEvent>{{Kind::kLeft, 2}, {Kind::kJoined, 4}}));
  EXPECT_EQ(m.find(9)->source, NodeSource::kMap);  // now configured
  EXPECT_EQ(m.find(9)->state, NodeState::kUp);     // and still up
  EXPECT_NE(m.find(1), nullptr);
  ev = m.set_map(map_of("3 10.0.0.3 1\n"), 4660);  // even a map without self keeps self
  EXPECT_NE(m.find(1), nullptr);
}

TEST(Announce, CodecAndNodeIdFromAddress) {
  Announce a{ip("192.168.10.220"), 4660, kAnnounceLeaving, 123456789};
  auto bytes = encode_announce(a);
  auto b = decode_announce(bytes);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->addr, a.addr);
  EXPECT_EQ(b->port, 4660);
  EXPECT_TRUE(b->leaving());
  EXPECT_EQ(b->incarnation, 123456789u);
  for (size_t n = 0; n < bytes.size(); ++n)
    EXPECT_FALSE(decode_announce(std::span<const uint8_t>(bytes).first(n)).ok());
  bytes.push_back(0);
  EXPECT_FALSE(decode_announce(bytes).ok());
  bytes.pop_back();
  bytes[6] = 0x80;  // unknown flag
  EXPECT_FALSE(decode_announce(bytes).ok());
  // The thesis' omdiscd log: 192.168.10.220 is #2780, 192.168.10.78 is #2638.
  EXPECT_EQ(node_id_from_address(ip("192.168.10.220")), 2780u);
  EXPECT_EQ(node_id_from_address(ip("192.168.10.78")), 2638u);
}

}  // namespace
}  // namespace omx::membership

namespace omx::membership {
namespace {

TEST(NodeRows, FoldsConsecutiveIdsAtConsecutiveAddressesOwnRowFirst) {
  auto ip = [](const char* s) { return *cluster::Ipv4::parse(s); };
  // Thesis diagram 4: nodes 0x52 (self, 172.0.0.82) and 0x01 (172.0.0.1): two rows, own first.
  auto rows = fold_rows({{1, ip("172.0.0.1")}, {0x52, ip("172.0.0.82")}}, 0x52);
  EXPECT_EQ(rows, (std::vector<NodeRow>{{0x52, ip("172.0.0.82"), 1}, {1, ip("172.0.0.1"), 1}}));
  // Diagram 5: 0x010a and 0x010b at 192.168.1.10 and .11: one row of count 2.
  rows = fold_rows({{0x10b, ip("192.168.1.11")}, {0x10a, ip("192.168.1.10")}}, 0x10a);
  EXPECT_EQ(rows, (std::vector<NodeRow>{{0x10a, ip("192.168.1.10"), 2}}));
  // A gap in ids or addresses starts a new row; self inside a folded row moves that row.
  rows = fold_rows({{1, ip("10.0.0.1")}, {2, ip("10.0.0.2")}, {3, ip("10.0.0.9")},
                    {5, ip("10.0.0.10")}, {6, ip("10.0.0.11")}}, 6);
  EXPECT_EQ(rows, (std::vector<NodeRow>{{5, ip("10.0.0.10"), 2}, {1, ip("10.0.0.1"), 2},
                                        {3, ip("10.0.0.9"), 1}}));
}

}  // namespace
}  // namespace omx::membership
