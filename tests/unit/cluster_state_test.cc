// The local cluster's naming scheme (docs/design.md) and DIR/cluster.json round trip.
#include <stdlib.h>

#include <gtest/gtest.h>

#include "cluster/cluster_state.h"
#include "cluster/file_util.h"

namespace omx::cluster {
namespace {

TEST(ClusterNames, FollowTheDesign) {
  EXPECT_EQ(hub_netns_name(3), "omx3hub");
  EXPECT_EQ(node_netns_name(3, 12), "omx3n12");
  EXPECT_EQ(hub_veth_name(12), "n12");
  EXPECT_EQ(node_address(ClusterMode::kNamespaces, 3, 12).to_string(), "198.18.3.12");
  EXPECT_EQ(node_address(ClusterMode::kHost, 255, 254).to_string(), "127.77.255.254");
  EXPECT_EQ(node_control_address(ClusterMode::kNamespaces, 3, 12), "@omx/omxd");
  EXPECT_EQ(node_control_address(ClusterMode::kHost, 3, 12), "@omx/omxd.3.12");
  // Interface names must fit IFNAMSIZ (15 characters) for every index and node.
  EXPECT_LE(hub_netns_name(kMaxClusterIndex).size(), 15u);
  EXPECT_LE(hub_veth_name(kMaxClusterNodes).size(), 15u);
}

TEST(ClusterState, RoundTripsThroughClusterJson) {
  char tmpl[] = "/tmp/omx-state-test.XXXXXX";
  std::string dir = mkdtemp(tmpl);
  ClusterState s;
  s.dir = dir;
  s.index = 7;
  s.mode = ClusterMode::kNamespaces;
  s.port = 4661;
  s.hub_netns = hub_netns_name(7);
  s.omxd = "/usr/bin/omxd";
  s.registry = "/run/omx/clusters/7";
  ClusterNode n;
  n.id = 2;
  n.addr = node_address(s.mode, 7, 2);
  n.control = "@omx/omxd";
  n.netns = node_netns_name(7, 2);
  n.pid = 1234;
  n.start_time = 99;
  n.netns_inode = 4026531840;
  n.mntns_inode = 4026531841;
  s.nodes.push_back(n);
  ASSERT_TRUE(save_cluster_state(s).ok());
  auto back = load_cluster_state(dir);
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(back->index, 7);
  EXPECT_EQ(back->mode, ClusterMode::kNamespaces);
  EXPECT_EQ(back->port, 4661);
  EXPECT_EQ(back->phase, "starting");
  ASSERT_EQ(back->nodes.size(), 1u);
  EXPECT_EQ(back->nodes[0].addr.to_string(), "198.18.7.2");
  EXPECT_EQ(back->nodes[0].mntns_inode, 4026531841u);
  EXPECT_NE(back->find(2), nullptr);
  EXPECT_EQ(back->find(3), nullptr);

  ASSERT_TRUE(write_file_atomic(dir + "/cluster.json", "{\"version\":1}").ok());
  auto bad = load_cluster_state(dir);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("not a cluster file"), std::string::npos);
  auto none = load_cluster_state(dir + "/absent");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().err, ENOENT);
  std::system(("rm -rf " + dir).c_str());
}

}  // namespace
}  // namespace omx::cluster
