#include "cluster/cluster_state.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cluster/file_util.h"

namespace omx::cluster {

using nlohmann::json;

std::string hub_netns_name(int index) { return fmt::format("omx{}hub", index); }
std::string node_netns_name(int index, NodeId node) { return fmt::format("omx{}n{}", index, node); }
std::string hub_veth_name(NodeId node) { return fmt::format("n{}", node); }

Ipv4 node_address(ClusterMode mode, int index, NodeId node) {
  uint32_t base = mode == ClusterMode::kNamespaces ? (198u << 24 | 18u << 16) : (127u << 24 | 77u << 16);
  return Ipv4{base | static_cast<uint32_t>(index) << 8 | node};
}

std::string node_control_address(ClusterMode mode, int index, NodeId node) {
  // Abstract sockets are per netns: in namespaces mode every node can use the default name.
  if (mode == ClusterMode::kNamespaces) return "@omx/omxd";
  return fmt::format("@omx/omxd.{}.{}", index, node);
}

std::string mode_name(ClusterMode mode) {
  return mode == ClusterMode::kNamespaces ? "namespaces" : "host";
}

ClusterNode* ClusterState::find(NodeId id) {
  for (auto& n : nodes)
    if (n.id == id) return &n;
  return nullptr;
}

namespace {

json node_to_json(const ClusterNode& n) {
  return json{{"id", n.id},         {"addr", n.addr.to_string()}, {"control", n.control},
              {"netns", n.netns},   {"pid", n.pid},               {"start_time", n.start_time},
              {"netns_inode", n.netns_inode}, {"mntns_inode", n.mntns_inode},
              {"cgroup", n.cgroup}};
}

ClusterNode node_from_json(const json& j) {  // throws json::exception
  ClusterNode n;
  n.id = j.at("id").get<NodeId>();
  auto addr = Ipv4::parse(j.at("addr").get<std::string>());
  if (!addr) throw json::other_error::create(501, "bad node address", &j);
  n.addr = *addr;
  n.control = j.at("control").get<std::string>();
  n.netns = j.at("netns").get<std::string>();
  n.pid = j.at("pid").get<pid_t>();
  n.start_time = j.at("start_time").get<uint64_t>();
  n.netns_inode = j.at("netns_inode").get<uint64_t>();
  n.mntns_inode = j.at("mntns_inode").get<uint64_t>();
  n.cgroup = j.value("cgroup", std::string());
  return n;
}

ClusterState state_from_json(const json& j) {  // throws json::exception
  ClusterState s;
  if (j.at("version").get<int>() != 1) throw json::other_error::create(501, "unknown version", &j);
  s.dir = j.at("dir").get<std::string>();
  s.index = j.at("index").get<int>();
  std::string mode = j.at("mode").get<std::string>();
  if (mode != "namespaces" && mode != "host")
    throw json::other_error::create(501, "unknown mode " + mode, &j);
  s.mode = mode == "namespaces" ? ClusterMode::kNamespaces : ClusterMode::kHost;
  s.port = j.at("port").get<uint16_t>();
  s.discovery = j.value("discovery", false);
  s.mfs = j.value("mfs", false);
  s.dashboard = j.value("dashboard", false);
  s.hub_netns = j.at("hub_netns").get<std::string>();
  s.omxd = j.at("omxd").get<std::string>();
  s.registry = j.at("registry").get<std::string>();
  s.phase = j.at("phase").get<std::string>();
  for (const auto& n : j.at("nodes")) s.nodes.push_back(node_from_json(n));
  return s;
}

}  // namespace

std::string dashboard_address(const ClusterState& c, const ClusterNode& n) {
  std::string host = c.mode == ClusterMode::kNamespaces ? "127.0.0.1" : n.addr.to_string();
  return fmt::format("{}:{}", host, kDashboardPort);
}

std::string history_path(const ClusterState& c) {
  return c.mode == ClusterMode::kNamespaces ? std::string("/tmp/") + kHistoryFile : kHistoryFile;
}

Result<ClusterState> load_cluster_state(const std::string& dir) {
  std::string path = dir + "/" + kClusterFile;
  OMX_ASSIGN(std::string text, read_text_file(path));
  try {
    return state_from_json(json::parse(text));
  } catch (const json::exception& e) {
    return make_error(ErrorCode::kInvalid, fmt::format("{}: not a cluster file: {}", path, e.what()));
  }
}

Status save_cluster_state(const ClusterState& s) {
  json nodes = json::array();
  for (const auto& n : s.nodes) nodes.push_back(node_to_json(n));
  json j{{"version", 1},          {"dir", s.dir},         {"index", s.index},
         {"mode", mode_name(s.mode)}, {"port", s.port}, {"discovery", s.discovery}, {"mfs", s.mfs}, {"dashboard", s.dashboard},   {"hub_netns", s.hub_netns},
         {"omxd", s.omxd},        {"registry", s.registry}, {"phase", s.phase},
         {"map", kMapFile},       {"key", kKeyFile},      {"nodes", std::move(nodes)}};
  return write_file_atomic(s.path(kClusterFile), j.dump(2) + "\n", 0644);
}

}  // namespace omx::cluster
