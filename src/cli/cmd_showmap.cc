// `showmap` (also `omx showmap`): the node table of the local omxd — from the map and from
// discovery — as openMosix printed it (reference §1.7, thesis diagrams 4 and 5): this node's id,
// then one row per run of consecutive ids at consecutive addresses, own row first, ids in hex.
//
//   My Node-Id: 0x0052
//
//   Base Node-Id Address          Count
//   ------------ ---------------- -----
//   0x0052       172.0.0.82       1
//   0x0001       172.0.0.1        1
//
// --all adds nodes that are down (default: up nodes only, as omdiscd's table held only live
// nodes); --json prints the daemon's table. Exit: 0, 4 no daemon answering.
#include <cstdio>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cluster/node_map.h"
#include "commands.h"
#include "daemon/control_client.h"
#include "membership/node_rows.h"

namespace omx::cli {

int cmd_showmap(const Args& args) {
  CLI::App app("show the cluster's node table in openMosix map rows", args[0]);
  std::string address = daemon::default_control_address();
  bool all = false, json = false;
  app.add_option("--address", address, "omxd control socket")->capture_default_str();
  app.add_flag("-a,--all", all, "include nodes that are down");
  app.add_flag("--json", json, "print the table as JSON");
  if (int rc = parse(app, args); rc >= 0) return rc;
  int rc = kExitOk;
  auto reply = ask_omxd(app.get_name(), {{"op", "nodes"}}, address, rc);
  if (!reply) return rc;
  if (json) {
    std::puts(reply->dump(2).c_str());
    return kExitOk;
  }
  uint32_t self = reply->value("node", 0u);
  std::vector<std::pair<cluster::NodeId, cluster::Ipv4>> nodes;
  for (const auto& n : reply->at("nodes")) {
    if (!all && n.value("state", std::string("up")) != "up") continue;
    auto addr = cluster::Ipv4::parse(n.value("addr", std::string()));
    if (addr) nodes.emplace_back(n.at("id").get<uint32_t>(), *addr);
  }
  std::printf("My Node-Id: 0x%04x\n\n", self);
  std::printf("Base Node-Id Address          Count\n------------ ---------------- -----\n");
  for (const auto& r : membership::fold_rows(nodes, self))
    std::printf("0x%04x       %-16s %u\n", r.first, r.addr.to_string().c_str(), r.count);
  return kExitOk;
}

}  // namespace omx::cli
