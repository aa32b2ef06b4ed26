#include "daemon/map_service.h"

#include <fmt/format.h>

#include "base/log.h"
#include "daemon/control_protocol.h"

namespace omx::daemon {
namespace {

using nlohmann::json;

std::shared_ptr<spdlog::logger> logger() { return log::get("map"); }

json refused(const std::string& message) {
  json r = error_reply(message);
  r["refused"] = true;
  return r;
}

// Host names were resolved by the client; resolving here would block the event loop.
Result<cluster::Ipv4> refuse_names(const std::string& host) {
  return make_error(ErrorCode::kInvalid,
                    fmt::format("host name '{}' in a map sent to omxd (setpe resolves names "
                                "before sending)",
                                host));
}

std::string configured_line(const cluster::LiveMap& m) {
  return fmt::format("This is omx #{} (of {} configured)", m.self(), m.map().size());
}

// One line per node for the first kMaxNodeLogLines, then one line for the rest (a 65535-node
// map must not flood the log).
constexpr size_t kMaxNodeLogLines = 64;

template <typename Fn>
void log_each(const std::vector<cluster::NodeId>& ids, const char* what, Fn line) {
  for (size_t i = 0; i < ids.size() && i < kMaxNodeLogLines; ++i) line(ids[i]);
  if (ids.size() > kMaxNodeLogLines) {
    std::vector<cluster::NodeId> rest(ids.begin() + kMaxNodeLogLines, ids.end());
    logger()->info("{} more nodes {}: {}", rest.size(), what, cluster::format_id_list(rest));
  }
}

// The log lines openMosix's kernel printed on a map change, plus the leaving/joining nodes.
void log_change(const cluster::MapChange& c) {
  if (c.new_self == 0) {
    logger()->info("omx configuration removed: this node (was #{}) left the cluster", c.old_self);
  } else {
    logger()->info("omx configuration changed: This is omx #{} (of {} configured)", c.new_self,
                   c.new_map.size());
  }
  log_each(c.diff.removed, "left (removed from map)",
           [](cluster::NodeId id) { logger()->info("node {} left (removed from map)", id); });
  log_each(c.diff.added, "joined (added to map)", [&](cluster::NodeId id) {
    logger()->info("node {} joined (added to map) at {}", id, c.new_map.find(id)->addr.to_string());
  });
  log_each(c.diff.changed, "changed", [&](cluster::NodeId id) {
    logger()->info("node {} changed: now at {}", id, c.new_map.find(id)->addr.to_string());
  });
}

json ids_json(const std::vector<cluster::NodeId>& ids) { return json(ids); }

}  // namespace

MapService::MapService(cluster::LiveMap& map, std::string listen_ip)
    : map_(map), listen_ip_(std::move(listen_ip)), last_self_(map.self()) {
  observer_ = map_.on_map_changed(log_change);
}

MapService::~MapService() { map_.remove_observer(observer_); }

void MapService::add_ops(ControlServer& server) {
  server.add_op("map", [this](const ControlRequest& r) { return op_map(r); });
  server.add_op("setmap", [this](const ControlRequest& r) { return op_setmap(r); });
  server.add_op("clearmap", [this](const ControlRequest& r) { return op_clearmap(r); });
}

json MapService::op_map(const ControlRequest&) const {
  return ok_reply({{"node", map_.configured() ? map_.self() : last_self_},
                   {"configured", map_.configured()},
                   {"generation", map_.generation()},
                   {"count", map_.map().size()},
                   {"map", map_.map().format()}});
}

Status MapService::check_self(const cluster::NodeMap& map, cluster::NodeId self) const {
  const cluster::NodeEntry* me = map.find(self);
  if (!me)
    return make_error(ErrorCode::kInvalid,
                      fmt::format("this node's id {} is not in the new map (give setpe -p ID, "
                                  "or setpe -off to leave the cluster)",
                                  self));
  auto listen = cluster::Ipv4::parse(listen_ip_);
  if (!listen || listen->value == 0 || me->addr == *listen) return ok_status();
  for (const auto& a : me->aliases)
    if (a == *listen) return ok_status();
  return make_error(ErrorCode::kInvalid,
                    fmt::format("node {} is at {} in the new map, but this omxd listens on {} "
                                "(restart omxd to move it)",
                                self, me->addr.to_string(), listen_ip_));
}

json MapService::op_setmap(const ControlRequest& req) {
  if (req.caller.uid != 0) return refused("only root may change the cluster map");
  cluster::NodeId self = last_self_;
  if (auto n = req.body.find("node"); n != req.body.end()) {
    if (!n->is_number_integer() || n->get<int64_t>() < cluster::kMinNodeId ||
        n->get<int64_t>() > cluster::kMaxNodeId)
      return error_reply("\"node\" must be a node id 1..65535");
    self = n->get<cluster::NodeId>();
    // The migration engine, discovery and membership took their id from --node-id when omxd
    // started and cannot change it while running: refuse rather than leave them disagreeing.
    if (self != last_self_)
      return error_reply(fmt::format("this node is omx #{} (omxd --node-id {}); to become #{} "
                                     "restart omxd with --node-id {}",
                                     last_self_, last_self_, self, self));
  }
  cluster::NodeMap next;
  if (auto text = req.body.find("map"); text != req.body.end()) {
    if (!text->is_string()) return error_reply("\"map\" must be the map text (a string)");
    std::string source = req.body.value("source", std::string("setmap request"));
    auto parsed = cluster::parse_node_map(text->get_ref<const std::string&>(), source, refuse_names);
    if (!parsed.ok()) return error_reply(parsed.error().message());
    next = std::move(*parsed);
  } else if (map_.configured()) {
    next = map_.map();
  } else {
    return error_reply("this node has no map (setpe -off): load one with setpe -w");
  }
  if (auto st = check_self(next, self); !st.ok()) return error_reply(st.error().message());
  cluster::NodeId previous = map_.self();
  auto diff = map_.replace(std::move(next), self);
  if (!diff.ok()) return error_reply(diff.error().message());
  last_self_ = self;
  return ok_reply({{"node", self},
                   {"previous_node", previous},
                   {"count", map_.map().size()},
                   {"message", configured_line(map_)},
                   {"added", ids_json(diff->added)},
                   {"removed", ids_json(diff->removed)},
                   {"modified", ids_json(diff->changed)}});
}

json MapService::op_clearmap(const ControlRequest& req) {
  if (req.caller.uid != 0) return refused("only root may take this node out of the cluster");
  bool was = map_.configured();
  auto diff = map_.clear();
  return ok_reply({{"node", last_self_}, {"was_configured", was}, {"removed", ids_json(diff.removed)}});
}

void MapGate::on_connection(ScopedFd fd, const PeerAddress& peer) {
  if (!map_.configured()) {
    logger()->info("connection from {} refused: this node left the cluster (setpe -off)",
                   peer.to_string());
    return;  // fd closes here
  }
  inner_.on_connection(std::move(fd), peer);
}

}  // namespace omx::daemon
