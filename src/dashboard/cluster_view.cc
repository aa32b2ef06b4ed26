#include "dashboard/cluster_view.h"

#include <algorithm>
#include <chrono>

namespace omx::dashboard {

using nlohmann::json;

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

double efficiency(const json& nodes) {
  double sum = 0, max = 0;
  int n = 0;
  for (const json& node : nodes) {
    if (!node.value("up", false)) continue;
    double speed = node.value("speed", 0.0), cpus = node.value("ncpus", 0.0);
    if (speed <= 0 || cpus <= 0) continue;  // no record yet: nothing to compare
    double r = node.value("load", 0.0) / (speed / 10000.0 * cpus);
    sum += r;
    max = std::max(max, r);
    ++n;
  }
  if (n == 0 || max <= 0) return 100.0;
  return 100.0 * (sum / n) / max;
}

json cluster_view(const json& nodes_reply, int64_t now) {
  json nodes = json::array();
  json row = {{"nodes", 0}, {"nodes_up", 0}, {"ncpus", 0}, {"load", 0}, {"mem_used", 0},
              {"mem_total", 0}};
  static const char* kCopied[] = {"load", "speed", "ncpus", "mem_used", "mem_total", "mem_free",
                                  "util", "status", "local_procs", "guests", "migrations_1m",
                                  "record_age_ms"};
  for (const json& in : nodes_reply.value("nodes", json::array())) {
    json n = {{"id", in.value("id", 0)}, {"addr", in.value("addr", "")},
              {"self", in.value("self", false)}, {"up", in.value("state", "") == "up"}};
    for (const char* k : kCopied)
      if (in.contains(k)) n[k] = in[k];
    row["nodes"] = row["nodes"].get<int>() + 1;
    if (n["up"].get<bool>()) {
      row["nodes_up"] = row["nodes_up"].get<int>() + 1;
      for (const char* k : {"ncpus", "load", "mem_used", "mem_total"})
        row[k] = row[k].get<uint64_t>() + n.value(k, uint64_t{0});
    }
    nodes.push_back(std::move(n));
  }
  row["efficiency"] = efficiency(nodes);
  return {{"self", nodes_reply.value("node", 0)}, {"time", now}, {"nodes", std::move(nodes)},
          {"cluster", std::move(row)}};
}

json process_rows(const json& ps_json, uint32_t node) {
  json out = json::array();
  static const char* kCopied[] = {"pid", "home", "home_pid", "where", "guest", "lock", "nmigs",
                                  "cantmove", "uid", "user", "comm", "cmdline", "stat", "nice",
                                  "cpu_s", "pcpu", "rss_kib"};
  for (const json& r : ps_json.value("processes", json::array())) {
    if (!r.value("migratable", true)) continue;
    json p = {{"node", node}};
    for (const char* k : kCopied)
      if (r.contains(k)) p[k] = r[k];
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace omx::dashboard
