#include "dashboard/metrics.h"

#include <fmt/format.h>

namespace omx::dashboard {
namespace {

using nlohmann::json;

void family(std::string& out, const char* name, const char* type, const char* help) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

std::string number(const json& v) {
  if (v.is_boolean()) return v.get<bool>() ? "1" : "0";
  if (v.is_number_integer() || v.is_number_unsigned()) return v.dump();
  if (v.is_number_float()) return fmt::format("{}", v.get<double>());
  return "NaN";
}

// One gauge per node from a field of the Node object; nodes that are down report only "up".
void node_gauge(std::string& out, const json& nodes, const char* name, const char* field,
                const char* help) {
  family(out, name, "gauge", help);
  for (const json& n : nodes) {
    bool up = n.value("up", false);
    if (std::string_view(field) != "up" && (!up || !n.contains(field))) continue;
    out += fmt::format("{}{{node=\"{}\"}} {}\n", name, escape_label_value(std::to_string(n.value("id", 0))),
                       number(n[field]));
  }
}

}  // namespace

std::string escape_label_value(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string render_metrics(const json& cluster, const json& migrations) {
  std::string out;
  const json nodes = cluster.value("nodes", json::array());
  node_gauge(out, nodes, "omx_node_up", "up", "1 when the node is up");
  node_gauge(out, nodes, "omx_node_load", "load", "load of the node (100 = one standard CPU busy)");
  node_gauge(out, nodes, "omx_node_speed", "speed", "speed of the node (10000 = a standard CPU)");
  node_gauge(out, nodes, "omx_node_cpus", "ncpus", "CPUs of the node");
  node_gauge(out, nodes, "omx_node_memory_used_bytes", "mem_used", "memory in use");
  node_gauge(out, nodes, "omx_node_memory_total_bytes", "mem_total", "memory of the node");
  node_gauge(out, nodes, "omx_node_guests", "guests", "processes of other homes running there");
  node_gauge(out, nodes, "omx_node_local_processes", "local_procs",
             "migratable processes homed there that run there");
  node_gauge(out, nodes, "omx_node_migrations_last_minute", "migrations_1m",
             "migrations completed in the last minute by processes homed there");
  const json row = cluster.value("cluster", json::object());
  struct {
    const char* name;
    const char* field;
    const char* help;
  } cluster_gauges[] = {
      {"omx_cluster_nodes_up", "nodes_up", "nodes that are up"},
      {"omx_cluster_nodes", "nodes", "nodes in the map"},
      {"omx_cluster_load", "load", "sum of the loads of the nodes that are up"},
      {"omx_cluster_efficiency_percent", "efficiency",
       "load-balancing efficiency (100 = every node equally loaded for its capacity)"},
  };
  for (const auto& g : cluster_gauges) {
    family(out, g.name, "gauge", g.help);
    out += fmt::format("{} {}\n", g.name, number(row.value(g.field, json(0))));
  }
  family(out, "omx_migrations_total", "counter",
         "migrations of this node since omxd started (out: away from home, home: back home, in: guests received)");
  for (const char* d : {"out", "home", "in"})
    if (migrations.contains(d))
      out += fmt::format("omx_migrations_total{{direction=\"{}\"}} {}\n", d, number(migrations[d]));
  return out;
}

}  // namespace omx::dashboard
