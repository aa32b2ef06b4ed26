// `omx cluster up|exec|down|status`: the local cluster harness (src/cluster/harness.h) for
// tests, benchmarks and the demo.
//
//   omx cluster up --nodes N --dir DIR [--omxd PATH] [--port P] [--timeout SEC]
//   omx cluster exec --dir DIR NODE -- CMD [ARGS...]
//   omx cluster down --dir DIR
//   omx cluster status --dir DIR [--json]
//
// Exit codes (docs/exit-codes.md): 0 ok, 1 failed, 2 usage, 4 no cluster / node down; exec
// exits with CMD's own status (127 CMD not found, 126 CMD not executable).
// Single-threaded (the harness forks and calls setns).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cluster/cpu_cgroup.h"
#include "cluster/harness.h"
#include "commands.h"

namespace omx::cli {
namespace {

using cluster::ClusterMode;
using cluster::ClusterState;

std::string summary(const ClusterState& s) {
  const auto& first = s.nodes.front();
  const auto& last = s.nodes.back();
  std::string where = s.mode == ClusterMode::kNamespaces
                          ? fmt::format("network namespaces {}..{}, ", first.netns, last.netns)
                          : std::string("host network namespace, ");
  return fmt::format("cluster {} up: {} node{} ({}addresses {}..{}, port {}), files in {}",
                     s.index, s.nodes.size(), s.nodes.size() == 1 ? "" : "s", where,
                     first.addr.to_string(), last.addr.to_string(), s.port, s.dir);
}

int cluster_up_cmd(const Args& args) {
  CLI::App app("start a local cluster of N omxd nodes", "omx cluster up");
  cluster::UpOptions o;
  double timeout_s = 10;
  app.add_option("--nodes", o.nodes, "number of nodes")->required()->check(CLI::Range(1, 254));
  app.add_option("--dir", o.dir, "cluster directory (created if absent)")->required();
  app.add_option("--omxd", o.omxd, "omxd binary (default: beside omx, else on $PATH)");
  app.add_option("--port", o.port, "wire port of every omxd")->capture_default_str();
  bool no_discovery = false;
  std::string cpus;
  app.add_option("--cpu", cpus,
                 "CPU quota of each node in cores, e.g. 1,0.8,0.3 (one value: every node); root");
  app.add_flag("--no-discovery", no_discovery,
               "nodes know each other from the map only (default: also multicast discovery, "
               "namespaced clusters)");
  app.add_flag("--dashboard", o.dashboard,
               "every node serves the web dashboard on its loopback address, port 8750 (omxd "
               "--http); node 1 also keeps the history (DIR/history.db)");
  app.add_flag("--mfs", o.mfs,
               "every node mounts the /mfs cluster file system in its own mount namespace "
               "(root; creates /mfs on the host if missing)");
  std::vector<std::string> dfsa_dirs;
  app.add_option("--dfsa-dir", dfsa_dirs,
                 "DFSA shared directory of every node (omxd --dfsa-dir; repeatable). A path under "
                 "/tmp is a different directory per node (each node's private /tmp)");
  app.add_option("--timeout", timeout_s, "seconds to wait for every omxd to be ready")
      ->check(CLI::Range(0.1, 600.0))
      ->capture_default_str();
  if (int rc = parse(app, args); rc >= 0) return rc;
  o.timeout = std::chrono::milliseconds(static_cast<int64_t>(timeout_s * 1000));
  o.discovery = !no_discovery;
  if (!dfsa_dirs.empty()) {  // every omxd inherits the environment (omxd reads OMX_DFSA_DIRS)
    std::string joined;
    for (const std::string& d : dfsa_dirs) {
      if (d.empty() || d[0] != '/' || d.find(':') != std::string::npos) {
        print_error(app.get_name(), "--dfsa-dir " + d + ": not an absolute path (without ':')");
        return kExitUsage;
      }
      joined += (joined.empty() ? "" : ":") + d;
    }
    ::setenv("OMX_DFSA_DIRS", joined.c_str(), 1);
  }
  if (!cpus.empty()) {
    auto list = cluster::parse_cpu_list(cpus, o.nodes);
    if (!list.ok()) {
      print_error(app.get_name(), list.error().message());
      return kExitUsage;
    }
    o.cpus = *list;
  }
  auto s = cluster::cluster_up(o, [&](const std::string& line) {
    std::fprintf(stderr, "%s: %s\n", app.get_name().c_str(), line.c_str());
  });
  if (!s.ok()) {
    print_error(app.get_name(), s.error().message());
    return kExitFailed;
  }
  std::puts(summary(*s).c_str());
  if (s->dashboard) {
    const auto& n1 = s->nodes.front();
    std::printf("dashboard: http://%s/ on each node (node 1 keeps the history); from node 1: "
                "omx cluster exec --dir %s 1 -- omx dashboard url\n",
                cluster::dashboard_address(*s, n1).c_str(), s->dir.c_str());
  }
  return kExitOk;
}

int cluster_down_cmd(const Args& args) {
  CLI::App app("stop a local cluster and remove everything it made", "omx cluster down");
  std::string dir;
  app.add_option("--dir", dir, "cluster directory")->required();
  if (int rc = parse(app, args); rc >= 0) return rc;
  auto r = cluster::cluster_down(dir);
  if (!r.ok()) {
    print_error(app.get_name(), r.error().message());
    return kExitFailed;
  }
  for (const auto& p : r->problems) print_error(app.get_name(), p);
  if (!r->problems.empty()) return kExitFailed;
  if (!r->had_cluster) std::printf("no cluster in %s: nothing to do\n", dir.c_str());
  return kExitOk;
}

void print_status_json(const ClusterState& s, const std::vector<cluster::NodeStatus>& nodes) {
  nlohmann::json j{{"index", s.index}, {"dir", s.dir},     {"mode", cluster::mode_name(s.mode)},
                   {"phase", s.phase}, {"port", s.port},   {"hub_netns", s.hub_netns}};
  j["nodes"] = nlohmann::json::array();
  for (const auto& n : nodes)
    j["nodes"].push_back({{"id", n.node.id}, {"addr", n.node.addr.to_string()},
                          {"pid", n.node.pid}, {"alive", n.alive}, {"netns", n.node.netns},
                          {"control", n.node.control}});
  std::puts(j.dump(2).c_str());
}

int cluster_status_cmd(const Args& args) {
  CLI::App app("show the nodes of a local cluster", "omx cluster status");
  std::string dir;
  bool json = false;
  app.add_option("--dir", dir, "cluster directory")->required();
  app.add_flag("--json", json, "print JSON");
  if (int rc = parse(app, args); rc >= 0) return rc;
  std::vector<cluster::NodeStatus> nodes;
  auto s = cluster::cluster_status(dir, &nodes);
  if (!s.ok()) {
    print_error(app.get_name(), s.error().message());
    return kExitUnavailable;
  }
  if (json) {
    print_status_json(*s, nodes);
  } else {
    std::printf("cluster %d in %s: %s mode, %zu nodes, %s\n", s->index, s->dir.c_str(),
                cluster::mode_name(s->mode).c_str(), nodes.size(), s->phase.c_str());
    std::printf("%-5s %-15s %-8s %-6s %-10s %s\n", "node", "address", "pid", "omxd", "netns",
                "control");
    for (const auto& n : nodes)
      std::printf("%-5u %-15s %-8d %-6s %-10s %s\n", n.node.id, n.node.addr.to_string().c_str(),
                  n.node.pid, n.alive ? "alive" : "dead",
                  n.node.netns.empty() ? "-" : n.node.netns.c_str(), n.node.control.c_str());
  }
  bool all_alive = std::all_of(nodes.begin(), nodes.end(), [](const auto& n) { return n.alive; });
  return all_alive ? kExitOk : kExitUnavailable;
}

int cluster_exec_cmd(const Args& args) {
  const std::string prog = "omx cluster exec";
  auto dashes = std::find(args.begin(), args.end(), "--");
  if (args.size() == 2 && (args[1] == "--help" || args[1] == "-h")) {
    std::printf("usage: omx cluster exec --dir DIR NODE -- CMD [ARGS...]\nRuns CMD as a process of "
                "node NODE of the local cluster in DIR (its network namespace, its omxd as\n"
                "$OMX_CONTROL) and exits with CMD's status (127 not found, 126 not executable, 4 "
                "node down).\n");
    return kExitOk;
  }
  if (dashes == args.end() || dashes + 1 == args.end()) {
    print_error(prog, "usage: omx cluster exec --dir DIR NODE -- CMD [ARGS...]");
    return kExitUsage;
  }
  CLI::App app("run a command as a process of one node", prog);
  std::string dir;
  unsigned node = 0;
  app.add_option("--dir", dir, "cluster directory")->required();
  app.add_option("node", node, "node id")->required()->check(CLI::Range(1, 65535));
  if (int rc = parse(app, Args(args.begin(), dashes)); rc >= 0) return rc;
  std::vector<std::string> cmd(dashes + 1, args.end());
  Error e = cluster::cluster_exec(dir, node, cmd);
  print_error(prog, e.message());
  if (e.code == ErrorCode::kVanished) return kExitUnavailable;
  if (e.code == ErrorCode::kSys && e.what == cmd.front())
    return e.err == ENOENT ? 127 : 126;
  return kExitFailed;
}

}  // namespace

int cmd_cluster(const Args& args) {
  const char* usage =
      "usage: omx cluster up --nodes N --dir DIR [--omxd PATH] [--port P] [--cpu LIST]\n"
      "                      [--no-discovery] [--mfs] [--dashboard] [--timeout SEC] [--dfsa-dir PATH]...\n"
      "       omx cluster exec --dir DIR NODE -- CMD [ARGS...]\n"
      "       omx cluster down --dir DIR\n"
      "       omx cluster status --dir DIR [--json]\n";
  if (args.size() < 2) {
    std::fputs(usage, stderr);
    return kExitUsage;
  }
  const std::string& sub = args[1];
  Args rest(args.begin() + 1, args.end());
  rest[0] = "omx cluster " + sub;
  if (sub == "up") return cluster_up_cmd(rest);
  if (sub == "down") return cluster_down_cmd(rest);
  if (sub == "status") return cluster_status_cmd(rest);
  if (sub == "exec") return cluster_exec_cmd(rest);
  if (sub == "--help" || sub == "-h" || sub == "help") {
    std::fputs(usage, stdout);
    return kExitOk;
  }
  std::fprintf(stderr, "omx cluster: unknown subcommand '%s' (omx cluster --help for usage)\n",
               sub.c_str());
  return kExitUsage;
}

}  // namespace omx::cli
