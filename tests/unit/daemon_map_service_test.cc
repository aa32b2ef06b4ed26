// omxd's side of setpe in-process: the map/setmap/clearmap ops (root only, all or nothing,
// this node's id and address checked), the "nodes" op seeing a new map at once, observers
// hearing of nodes that left, and the gate refusing wire connections after setpe -off.
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>

#include <gtest/gtest.h>

#include "daemon/control_ops.h"
#include "daemon/control_server.h"
#include "daemon/daemon.h"
#include "daemon/map_service.h"

namespace omx::daemon {
namespace {

using nlohmann::json;

cluster::NodeMap map_of(std::string_view text) {
  auto m = cluster::parse_node_map(text, "m");
  EXPECT_TRUE(m.ok()) << m.error().message();
  return m.ok() ? std::move(*m) : cluster::NodeMap();
}

const Caller kRoot{1, 0, 0};
const Caller kUser{1, 1000, 1000};

// A node 2 of "1 10.0.0.1 3" listening on 10.0.0.2, with the node ops and the map ops.
struct Node {
  asio::io_context io;
  ControlServer server{io};
  cluster::LiveMap live{map_of("1 10.0.0.1 3\n"), 2};
  NodeContext ctx{2, &live.map(), 4660};
  MapService service{live, "10.0.0.2"};
  Node() {
    add_node_ops(server, ctx);
    service.add_ops(server);
    live.on_map_changed([this](const cluster::MapChange& c) {
      if (c.new_self) ctx.self = c.new_self;
    });
  }
  json call(const json& req, const Caller& who = kRoot) { return server.dispatch(req.dump(), who); }
  std::vector<int> node_ids() {
    std::vector<int> ids;
    json reply = call(json{{"op", "nodes"}});
    for (const auto& n : reply["nodes"]) ids.push_back(n["id"]);
    return ids;
  }
};

TEST(MapService, MapOpPrintsTheTableInMapSyntax) {
  Node n;
  json r = n.call(json{{"op", "map"}}, kUser);  // reading is for everyone
  EXPECT_EQ(r, json::parse(std::string(R"({"ok":true,"node":2,"configured":true,"generation":0,"count":3,
                               "map":"1 10.0.0.1 3\n"})")));
}

TEST(MapService, SetmapAppliesAtOnceAndObserversHearWhoLeft) {
  Node n;
  std::vector<cluster::NodeId> left;
  n.live.on_map_changed([&](const cluster::MapChange& c) {
    left.insert(left.end(), c.diff.removed.begin(), c.diff.removed.end());
  });
  json r = n.call({{"op", "setmap"}, {"map", "1 10.0.0.1 2\n5 10.0.0.5 1\n"}, {"source", "f"}});
  EXPECT_EQ(r, json::parse(std::string(R"j({"ok":true,"node":2,"previous_node":2,"count":3,
                               "message":"This is omx #2 (of 3 configured)",
                               "added":[5],"removed":[3],"modified":[]})j")));
  EXPECT_EQ(n.node_ids(), (std::vector<int>{1, 2, 5}));
  EXPECT_EQ(left, (std::vector<cluster::NodeId>{3}));
  EXPECT_EQ(n.call(json{{"op", "map"}})["map"], "1 10.0.0.1 2\n5 10.0.0.5 1\n");
}

TEST(MapService, BadMapsChangeNothing) {
  Node n;
  auto error_of = [&](const json& req) {
    json r = n.call(req);
    EXPECT_EQ(r["ok"], false) << req.dump();
    return r.value("error", "");
  };
  EXPECT_EQ(error_of({{"op", "setmap"}, {"map", "1 10.0.0.1 3\n4 10.0.0.1 1\n"}, {"source", "f"}}),
            "f:2: address 10.0.0.1 already belongs to node 1 (line 1)");
  EXPECT_EQ(error_of({{"op", "setmap"}, {"map", "1 10.0.0.1 1\n3 10.0.0.3 1\n"}}),
            "this node's id 2 is not in the new map (give setpe -p ID, or setpe -off to leave "
            "the cluster)");
  EXPECT_EQ(error_of({{"op", "setmap"}, {"map", "1 10.0.0.1 1\n2 10.0.0.9 1\n"}}),
            "node 2 is at 10.0.0.9 in the new map, but this omxd listens on 10.0.0.2 (restart "
            "omxd to move it)");
  EXPECT_EQ(error_of({{"op", "setmap"}, {"map", "1 somehost 1\n"}}),
            "setmap request:1: host name 'somehost' in a map sent to omxd (setpe resolves names "
            "before sending)");
  EXPECT_EQ(error_of({{"op", "setmap"}, {"map", 5}}), "\"map\" must be the map text (a string)");
  EXPECT_EQ(error_of({{"op", "setmap"}, {"node", 0}}), "\"node\" must be a node id 1..65535");
  EXPECT_EQ(n.live.generation(), 0u);
  EXPECT_EQ(n.node_ids(), (std::vector<int>{1, 2, 3}));
}

TEST(MapService, OnlyRootChangesTheMap) {
  Node n;
  json r = n.call({{"op", "setmap"}, {"map", "2 10.0.0.2 1\n"}}, kUser);
  EXPECT_EQ(r, json::parse(std::string(R"({"ok":false,"refused":true,
                               "error":"only root may change the cluster map"})")));
  r = n.call(json{{"op", "clearmap"}}, kUser);
  EXPECT_EQ(r["refused"], true);
  EXPECT_EQ(n.node_ids(), (std::vector<int>{1, 2, 3}));
}

TEST(MapService, SetIdMustBeThisNodesId) {
  Node n;
  // The id omxd started with is the one the migration engine and discovery use: -p may repeat
  // it (init scripts pass -p $MYOMID), not change it.
  EXPECT_EQ(n.call({{"op", "setmap"}, {"node", 3}})["error"],
            "this node is omx #2 (omxd --node-id 2); to become #3 restart omxd with --node-id 3");
  EXPECT_EQ(n.call({{"op", "setmap"}, {"map", "1 10.0.0.1 1\n3 10.0.0.2 1\n"}, {"node", 3}})["ok"],
            false);
  json r = n.call({{"op", "setmap"}, {"node", 2}});
  EXPECT_EQ(r["ok"], true) << r.dump();
  EXPECT_EQ(r["previous_node"], 2);
  EXPECT_EQ(n.live.generation(), 0u);  // nothing changed
  // Nodes 2 and 3 swap addresses: this node (2) would lose the address omxd listens on.
  EXPECT_EQ(n.call({{"op", "setmap"}, {"map", "1 10.0.0.1 1\n3 10.0.0.2 1\n2 10.0.0.3 1\n"}})["error"],
            "node 2 is at 10.0.0.3 in the new map, but this omxd listens on 10.0.0.2 (restart "
            "omxd to move it)");
}

TEST(MapService, ClearmapLeavesAndAMapBringsTheNodeBack) {
  Node n;
  std::vector<cluster::NodeId> left;
  n.live.on_map_changed([&](const cluster::MapChange& c) {
    left.insert(left.end(), c.diff.removed.begin(), c.diff.removed.end());
  });
  json r = n.call(json{{"op", "clearmap"}});
  EXPECT_EQ(r, json::parse(std::string(R"({"ok":true,"node":2,"was_configured":true,"removed":[1,2,3]})")));
  EXPECT_EQ(left, (std::vector<cluster::NodeId>{1, 2, 3}));
  EXPECT_TRUE(n.node_ids().empty());
  json m = n.call(json{{"op", "map"}});
  EXPECT_EQ(m["configured"], false);
  EXPECT_EQ(m["map"], "");
  EXPECT_EQ(n.call({{"op", "setmap"}, {"node", 2}})["error"],
            "this node has no map (setpe -off): load one with setpe -w");
  EXPECT_EQ(n.call(json{{"op", "clearmap"}})["was_configured"], false);
  ASSERT_EQ(n.call({{"op", "setmap"}, {"map", "2 10.0.0.2 2\n"}})["ok"], true);  // id kept
  EXPECT_EQ(n.node_ids(), (std::vector<int>{2, 3}));
}

struct CountingHandler : ConnectionHandler {
  int count = 0;
  void on_connection(ScopedFd, const PeerAddress&) override { ++count; }
};

TEST(MapGate, RefusesConnectionsWhileNotConfigured) {
  cluster::LiveMap live(map_of("1 10.0.0.1 2\n"), 1);
  CountingHandler inner;
  MapGate gate(live, inner);
  gate.on_connection(ScopedFd(::dup(0)), {"10.0.0.2", 1});
  EXPECT_EQ(inner.count, 1);
  live.clear();
  gate.on_connection(ScopedFd(::dup(0)), {"10.0.0.2", 1});
  EXPECT_EQ(inner.count, 1);
}

// The whole daemon: a setmap through its control table changes what "nodes" answers.
TEST(MapService, DaemonServesTheNewMap) {
  char tmpl[] = "/tmp/omx-map-service.XXXXXX";
  std::string dir = mkdtemp(tmpl);
  std::ofstream(dir + "/m") << "1 127.0.0.1 2\n";
  static std::atomic<int> seq{0};
  DaemonOptions o;
  o.foreground = true;
  o.node_id = 1;
  o.map_path = dir + "/m";
  o.listen = "127.0.0.1";
  o.port = 0;
  o.control = "@omx/map-test." + std::to_string(getpid()) + "." + std::to_string(seq++);
  auto d = Daemon::create(o);
  ASSERT_TRUE(d.ok()) << d.error().message();
  ASSERT_TRUE((*d)->start().ok());
  std::vector<cluster::NodeId> left;
  (*d)->live_map().on_map_changed([&](const cluster::MapChange& c) { left = c.diff.removed; });
  json r = (*d)->control().dispatch(
      json{{"op", "setmap"}, {"map", "1 127.0.0.1 1\n3 127.0.0.3 1\n"}}.dump(), kRoot);
  EXPECT_EQ(r["ok"], true) << r.dump();
  json nodes = (*d)->control().dispatch(R"({"op":"nodes"})", kRoot);
  ASSERT_EQ(nodes["nodes"].size(), 2u);
  EXPECT_EQ(nodes["nodes"][1]["id"], 3);
  EXPECT_EQ(left, (std::vector<cluster::NodeId>{2}));
  (*d)->stop();
  (*d)->run();
  std::system(("rm -rf " + dir).c_str());
}

}  // namespace
}  // namespace omx::daemon
