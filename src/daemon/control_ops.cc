#include "daemon/control_ops.h"

#include <fstream>

#include <fmt/format.h>

namespace omx::daemon {
namespace {

using nlohmann::json;

json node_json(const cluster::NodeEntry& n, uint16_t port) {
  json j{{"id", n.id}, {"addr", n.addr.to_string()}, {"port", port}};
  if (!n.aliases.empty()) {
    json aliases = json::array();
    for (const auto& a : n.aliases) aliases.push_back(a.to_string());
    j["aliases"] = aliases;
  }
  return j;
}

json op_ping(const NodeContext& node, const ControlRequest&) {
  return ok_reply({{"node", node.self}});
}

json op_nodes(const NodeContext& node, const ControlRequest&) {
  json list = json::array();
  for (const auto& [id, entry] : node.map->nodes()) {
    json j = node_json(entry, node.port);
    j["self"] = id == node.self;
    list.push_back(std::move(j));
  }
  return ok_reply({{"node", node.self}, {"nodes", std::move(list)}});
}

json op_node(const NodeContext& node, const ControlRequest& req) {
  auto id = req.body.find("id");
  if (id == req.body.end() || !id->is_number_integer())
    return error_reply("op 'node' needs \"id\": a node number");
  int64_t n = id->get<int64_t>();
  const cluster::NodeEntry* entry =
      (n < cluster::kMinNodeId || n > cluster::kMaxNodeId)
          ? nullptr
          : node.map->find(static_cast<cluster::NodeId>(n));
  if (!entry) return error_reply(fmt::format("node {} is not in the map", n));
  return ok_reply(node_json(*entry, node.port));
}

// The cluster key, for root processes on this node (a home supervisor run by root opens its
// own authenticated channels). Everyone else is refused: the key must not reach users.
json op_key(const NodeContext& node, const ControlRequest& req) {
  if (req.caller.uid != 0) return error_reply("the cluster key is only given to root");
  if (node.key_file.empty()) return error_reply("this node has no cluster key (--key)");
  std::ifstream in(node.key_file);
  std::string hex;
  if (!(in >> hex)) return error_reply("cannot read the cluster key file");
  return ok_reply({{"key", hex}});
}

}  // namespace

void add_node_ops(ControlServer& server, const NodeContext& node) {
  server.add_op("ping", [&node](const ControlRequest& r) { return op_ping(node, r); });
  server.add_op("nodes", [&node](const ControlRequest& r) { return op_nodes(node, r); });
  server.add_op("node", [&node](const ControlRequest& r) { return op_node(node, r); });
  server.add_op("key", [&node](const ControlRequest& r) { return op_key(node, r); });
}

}  // namespace omx::daemon
