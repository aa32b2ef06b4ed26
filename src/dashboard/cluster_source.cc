#include "dashboard/cluster_source.h"

#include <condition_variable>
#include <memory>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "daemon/control_client.h"
#include "dashboard/cluster_view.h"
#include "procinfo/process_lister.h"

namespace omx::dashboard {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

Result<json> ask(const json& req, const std::string& control) {
  OMX_ASSIGN(json reply, daemon::control_request(req, control, std::chrono::milliseconds(1000)));
  if (!reply.value("ok", false))
    return make_error(ErrorCode::kRefused,
                      fmt::format("omxd: {}", reply.value("error", std::string("refused"))));
  return reply;
}

Target target_of(const json& node) {
  return Target{node.value("id", 0u), node.value("addr", std::string()),
                static_cast<uint16_t>(node.value("port", 0)), node.value("self", false)};
}

}  // namespace

ClusterSource::ClusterSource(std::string control, NodeRunner runner)
    : control_(std::move(control)), runner_(std::move(runner)) {}

Result<json> ClusterSource::fetch_cluster() {
  OMX_ASSIGN(json reply, ask({{"op", "nodes"}}, control_));
  return cluster_view(reply, now_ms());
}

Result<json> ClusterSource::cluster() {
  std::lock_guard lock(cluster_mu_);
  if (cluster_cache_ && Clock::now() - cluster_at_ < kClusterCache) return *cluster_cache_;
  OMX_ASSIGN(json c, fetch_cluster());
  cluster_cache_ = c;
  cluster_at_ = Clock::now();
  return c;
}

uint32_t ClusterSource::self_node() {
  auto c = cluster();
  return c.ok() ? c->value("self", 0u) : 0;
}

Result<Target> ClusterSource::target(uint32_t node) {
  OMX_ASSIGN(json reply, ask({{"op", "nodes"}}, control_));
  for (const json& n : reply.value("nodes", json::array()))
    if (n.value("id", 0u) == node) {
      Target t = target_of(n);
      t.self = n.value("self", false);
      return t;
    }
  return make_error(ErrorCode::kInvalid, fmt::format("node {} is not in the map", node));
}

Result<json> ClusterSource::node_processes(const Target& t) {
  if (t.self) {
    procinfo::ListOptions o;
    o.control_address = control_;
    o.omx_only = true;
    return process_rows(procinfo::to_json(procinfo::list_processes(o)), t.node);
  }
  OMX_ASSIGN(CommandResult r, runner_(t, User{0, 0}, {"omx", "ps", "--json"}, kNodeDeadline));
  if (r.timed_out) return make_error(ErrorCode::kTimeout, fmt::format("node {}: omx ps timed out", t.node));
  if (r.exit_code != 0)
    return make_error(ErrorCode::kRefused, fmt::format("node {}: omx ps: {}", t.node,
                                                       r.err.empty() ? "failed" : r.err));
  json ps = json::parse(r.out, nullptr, false);
  if (ps.is_discarded()) return make_error(ErrorCode::kProtocol, fmt::format("node {}: omx ps: not JSON", t.node));
  return process_rows(ps, t.node);
}

// Asks every up node at once; whatever has not answered at the deadline is an error entry. The
// workers are detached and share the result state, so a late one finishes harmlessly.
json ClusterSource::fetch_processes(const json& nodes_reply) {
  struct Shared {
    std::mutex mu;
    std::condition_variable cv;
    std::vector<std::optional<Result<json>>> results;
  };
  std::vector<Target> targets;
  for (const json& n : nodes_reply.value("nodes", json::array()))
    if (n.value("state", "") == "up") targets.push_back(target_of(n));
  auto shared = std::make_shared<Shared>();
  shared->results.resize(targets.size());
  for (size_t i = 0; i < targets.size(); ++i) {
    std::thread([this, shared, i, t = targets[i]] {
      Result<json> r = node_processes(t);
      std::lock_guard lock(shared->mu);
      shared->results[i] = std::move(r);
      shared->cv.notify_all();
    }).detach();
  }
  json procs = json::array(), errors = json::array();
  std::unique_lock lock(shared->mu);
  auto deadline = Clock::now() + kNodeDeadline + std::chrono::milliseconds(100);
  shared->cv.wait_until(lock, deadline, [&] {
    for (const auto& r : shared->results)
      if (!r) return false;
    return true;
  });
  for (size_t i = 0; i < targets.size(); ++i) {
    const auto& r = shared->results[i];
    if (!r) {
      errors.push_back({{"node", targets[i].node}, {"error", "no answer within 1.5 s"}});
    } else if (!r->ok()) {
      errors.push_back({{"node", targets[i].node}, {"error", r->error().message()}});
    } else {
      for (const json& p : **r)
        if (!p.value("guest", false)) procs.push_back(p);  // one row each: from its home
    }
  }
  return {{"time", now_ms()}, {"processes", std::move(procs)}, {"errors", std::move(errors)}};
}

Result<json> ClusterSource::processes() {
  std::lock_guard lock(processes_mu_);
  if (processes_cache_ && Clock::now() - processes_at_ < kProcessesCache) return *processes_cache_;
  OMX_ASSIGN(json nodes, ask({{"op", "nodes"}}, control_));  // the addresses and ports too
  json p = fetch_processes(nodes);
  processes_cache_ = p;
  processes_at_ = Clock::now();
  return p;
}

Result<json> ClusterSource::guests(uint32_t node) {
  OMX_ASSIGN(Target t, target(node));
  OMX_ASSIGN(json rows, node_processes(t));
  json guests = json::array();
  for (const json& p : rows)
    if (p.value("guest", false)) guests.push_back(p);
  return json{{"time", now_ms()}, {"processes", std::move(guests)}, {"errors", json::array()}};
}

json ClusterSource::migrations() {
  auto r = ask({{"op", "migrations"}}, control_);
  if (!r.ok()) return json::object();
  return r->value("by_direction", json::object());
}

}  // namespace omx::dashboard
