// LiveMap: the node's table replaced whole, all or nothing, with observers told what changed.
#include <gtest/gtest.h>

#include "cluster/live_map.h"

namespace omx::cluster {
namespace {

NodeMap map_of(std::string_view text) {
  auto m = parse_node_map(text, "m", [](const std::string& h) -> Result<Ipv4> {
    return make_error(ErrorCode::kInvalid, "no names in this test: " + h);
  });
  EXPECT_TRUE(m.ok()) << m.error().message();
  return m.ok() ? std::move(*m) : NodeMap();
}

struct Seen {
  NodeMapDiff diff;
  std::string old_text, new_text;
  NodeId old_self = 0, new_self = 0;
};

TEST(LiveMap, ReplaceTellsObserversWhatChanged) {
  LiveMap live(map_of("1 10.0.0.1 3\n"), 1);
  const NodeMap* stable = &live.map();
  std::vector<Seen> seen;
  live.on_map_changed([&](const MapChange& c) {
    seen.push_back({c.diff, c.old_map.format(), c.new_map.format(), c.old_self, c.new_self});
  });
  auto d = live.replace(map_of("1 10.0.0.1 2\n4 10.0.0.4 1\n"), 1);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->removed, (std::vector<NodeId>{3}));
  EXPECT_EQ(d->added, (std::vector<NodeId>{4}));
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].old_text, "1 10.0.0.1 3\n");
  EXPECT_EQ(seen[0].new_text, "1 10.0.0.1 2\n4 10.0.0.4 1\n");
  EXPECT_EQ(seen[0].diff.removed, (std::vector<NodeId>{3}));
  EXPECT_EQ(&live.map(), stable);  // a pointer to the map stays good
  EXPECT_EQ(live.map().size(), 3u);
  EXPECT_EQ(live.generation(), 1u);
}

TEST(LiveMap, SameTableAndSelfChangesNothingAndCallsNobody) {
  LiveMap live(map_of("1 10.0.0.1 3\n"), 2);
  int calls = 0;
  live.on_map_changed([&](const MapChange&) { ++calls; });
  ASSERT_TRUE(live.replace(map_of("3 10.0.0.3 1\n1 10.0.0.1 2\n"), 2).ok());
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(live.generation(), 0u);
  ASSERT_TRUE(live.replace(map_of("1 10.0.0.1 3\n"), 3).ok());  // setpe -p 3
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(live.self(), 3u);
}

TEST(LiveMap, RefusesAMapWithoutThisNodeAndKeepsTheOldOne) {
  LiveMap live(map_of("1 10.0.0.1 3\n"), 2);
  int calls = 0;
  live.on_map_changed([&](const MapChange&) { ++calls; });
  auto d = live.replace(map_of("1 10.0.0.1 1\n3 10.0.0.3 1\n"), 2);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().message(), "this node (2) is not in the new map");
  EXPECT_EQ(live.map().format(), "1 10.0.0.1 3\n");
  EXPECT_EQ(calls, 0);
}

TEST(LiveMap, ClearDropsEveryNodeAndUnconfigures) {
  LiveMap live(map_of("1 10.0.0.1 2\n"), 1);
  Seen last;
  int handle = live.on_map_changed([&](const MapChange& c) {
    last = {c.diff, "", "", c.old_self, c.new_self};
  });
  NodeMapDiff d = live.clear();
  EXPECT_EQ(d.removed, (std::vector<NodeId>{1, 2}));
  EXPECT_FALSE(live.configured());
  EXPECT_TRUE(live.map().empty());
  EXPECT_EQ(last.old_self, 1u);
  EXPECT_EQ(last.new_self, 0u);
  live.remove_observer(handle);
  ASSERT_TRUE(live.replace(map_of("1 10.0.0.1 1\n"), 1).ok());
  EXPECT_EQ(last.new_self, 0u);  // removed observers are not called
  EXPECT_TRUE(live.configured());
}

}  // namespace
}  // namespace omx::cluster
