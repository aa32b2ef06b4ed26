// `mosctl` (also `omx mosctl`): openMosix's node control tool (reference §1.1).
//
//   mosctl stay|nostay|lstay|nolstay|block|noblock|quiet|noquiet|mfs|nomfs   (root)
//   mosctl setspeed N | setspeed measure                                     (root)
//   mosctl getload|getspeed|getmem|getfree|getutil|status|isup [ID]
//   mosctl whois [ID|IP|hostname]
//   mosctl expel | bring | shutdown                                          (root)
//
// Node values come from the local omxd's table (gossip records for other nodes). Settings
// persist in omxd's state directory. Exit: 0 ok (isup: 0 "yes", 1 "no"), 1 failed, 2 usage,
// 3 refused (not root), 4 no daemon.
#include <netdb.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cluster/node_map.h"
#include "commands.h"
#include "daemon/control_client.h"
#include "migrate/home.h"

namespace omx::cli {
namespace {

using nlohmann::json;

struct Ctx {
  std::string prog;
  std::string address;
};

// One request; prints the error and returns nullopt-like empty json with the exit code set.
json request(const Ctx& c, const json& req, int& rc) {
  return ask_omxd(c.prog, req, c.address, rc).value_or(json{});
}

// The node table entry for `id` (0 = this node), or empty with rc set.
json node_entry(const Ctx& c, uint32_t id, int& rc) {
  json nodes = request(c, {{"op", "nodes"}}, rc);
  if (rc) return {};
  if (id == 0) id = nodes.value("node", 0u);
  for (const auto& n : nodes.at("nodes"))
    if (n.value("id", 0u) == id) return n;
  print_error(c.prog, fmt::format("node {} is not in the cluster table", id));
  rc = kExitFailed;
  return {};
}

int set(const Ctx& c, const json& changes) {
  json req = changes;
  req["op"] = "set";
  int rc;
  request(c, req, rc);
  return rc;
}

// getload & co: one field of a node's gossip record.
int get_value(const Ctx& c, uint32_t id, const std::string& field, const std::string& what) {
  int rc;
  json n = node_entry(c, id, rc);
  if (rc) return rc;
  if (!n.contains(field) || n[field].is_null()) {
    print_error(c.prog, fmt::format("no {} known for node {} yet (is it up? mosctl isup {})", what,
                                    n.value("id", 0u), n.value("id", 0u)));
    return kExitFailed;
  }
  std::puts(n[field].is_string() ? n[field].get<std::string>().c_str() : n[field].dump().c_str());
  return kExitOk;
}

int status(const Ctx& c, uint32_t id) {
  int rc;
  json n = node_entry(c, id, rc);
  if (rc) return rc;
  bool self = n.value("self", false);
  std::printf("node #%u at %s: %s (%s)\n", n.value("id", 0u), n.value("addr", std::string()).c_str(),
              n.value("state", std::string("?")).c_str(), n.value("source", std::string("?")).c_str());
  json s = self ? request(c, {{"op", "settings"}}, rc) : n.value("status", json::object());
  if (rc) return rc;
  auto yn = [&](const char* k) { return s.value(k, false) ? "yes" : "no"; };
  std::printf("stay: %s  lstay: %s  block: %s  quiet: %s  mfs: %s\n", yn("stay"), yn("lstay"),
              yn("block"), yn("quiet"), s.value("nomfs", false) ? "no" : "yes");
  for (auto [field, label] : {std::pair{"speed", "speed"}, {"load", "load"}, {"ncpus", "CPUs"},
                              {"mem_free", "free memory (bytes)"}, {"mem_total", "total memory (bytes)"},
                              {"util", "utilizability (%)"}})
    if (n.contains(field) && !n[field].is_null()) std::printf("%s: %s\n", label, n[field].dump().c_str());
  return kExitOk;
}

int isup(const Ctx& c, uint32_t id) {
  int rc;
  json n = node_entry(c, id, rc);
  if (rc == kExitFailed) {  // not in the table: not up
    std::puts("no");
    return kExitFailed;
  }
  if (rc) return rc;
  bool up = n.value("state", std::string()) == "up";
  std::puts(up ? "yes" : "no");
  return up ? kExitOk : kExitFailed;
}

// whois: ID -> address, address or host name -> ID; no argument: this node.
int whois(const Ctx& c, const std::string& who) {
  int rc;
  json nodes = request(c, {{"op", "nodes"}}, rc);
  if (rc) return rc;
  uint32_t self = nodes.value("node", 0u);
  if (who.empty()) {
    std::printf("This is openMosix #%u\n", self);
    return kExitOk;
  }
  std::optional<cluster::Ipv4> ip = cluster::Ipv4::parse(who);
  if (!ip && who.find_first_not_of("0123456789") != std::string::npos) {
    auto r = cluster::resolve_host_ipv4(who);
    if (!r.ok()) {
      print_error(c.prog, r.error().message());
      return kExitFailed;
    }
    ip = *r;
  }
  for (const auto& n : nodes.at("nodes")) {
    uint32_t id = n.value("id", 0u);
    std::string addr = n.value("addr", std::string());
    if (ip && addr == ip->to_string()) {
      std::printf("%u\n", id);
      return kExitOk;
    }
    if (!ip && std::to_string(id) == who) {
      std::printf("%s\n", addr.c_str());
      return kExitOk;
    }
  }
  print_error(c.prog, fmt::format("{} is not in the cluster table", who));
  return kExitFailed;
}

// expel: block guests, send each home, wait (at most 2 min) until none is left.
int expel(const Ctx& c) {
  int rc;
  json r = request(c, {{"op", "expel"}}, rc);
  if (rc) return rc;
  for (int i = 0; i < 1200; ++i) {
    json g = request(c, {{"op", "guests"}}, rc);
    if (rc) return rc;
    if (g.value("guests", 1u) == 0) {
      std::printf("expelled %u guest%s; this node now blocks guests (mosctl noblock to undo)\n",
                  r.value("signalled", 0u), r.value("signalled", 0u) == 1 ? "" : "s");
      return kExitOk;
    }
    ::usleep(100000);
  }
  print_error(c.prog, "guests are still here after 2 minutes");
  return kExitFailed;
}

// shutdown: omxd refuses guests, sends them home, waits for them (at most its
// --shutdown-timeout), then leaves the cluster and exits; we follow it until it is gone. omxd
// stops before its timeout only once no guest is left (or on a second signal), so the time it
// took tells whether guests were left behind, without racing its last check.
int shutdown(const Ctx& c) {
  int rc;
  json r = request(c, {{"op", "shutdown"}}, rc);
  if (rc) return rc;
  auto start = std::chrono::steady_clock::now();
  unsigned guests = r.value("guests", 0u), timeout_s = r.value("timeout_s", 30u);
  std::printf("omxd is shutting down: %u guest%s to send home (waiting at most %u s)\n", guests,
              guests == 1 ? "" : "s", timeout_s);
  std::fflush(stdout);
  unsigned left = guests;
  for (unsigned i = 0; i < (timeout_s + 10) * 10; ++i) {
    auto g = daemon::control_request({{"op", "guests"}}, c.address);
    if (!g.ok() || !g->value("ok", false)) {
      auto took = std::chrono::steady_clock::now() - start;
      if (left == 0 || took < std::chrono::seconds(timeout_s) - std::chrono::milliseconds(300)) {
        std::printf("omxd stopped after %.1f s; no guests left here\n",
                    std::chrono::duration<double>(took).count());
        return kExitOk;
      }
      print_error(c.prog, fmt::format("omxd stopped with {} guest{} still here, left running "
                                      "(its log names them)", left, left == 1 ? "" : "s"));
      return kExitFailed;
    }
    left = g->value("guests", 0u);
    ::usleep(100000);
  }
  print_error(c.prog, "omxd is still running long after its shutdown timeout");
  return kExitFailed;
}

// The home supervisors on this node: the abstract sockets "@omx/sup/PID" in /proc/net/unix.
std::vector<pid_t> supervisors() {
  std::vector<pid_t> out;
  std::ifstream in("/proc/net/unix");
  std::string line;
  std::string prefix = migrate::supervisor_address(0);  // "@omx/sup/0": /proc/net/unix shows
  prefix.pop_back();                                    // abstract names with the '@' too
  while (std::getline(in, line)) {
    auto at = line.find(prefix);
    if (at == std::string::npos) continue;
    try {
      out.push_back(static_cast<pid_t>(std::stol(line.substr(at + prefix.size()))));
    } catch (...) {
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

// bring: lstay, then bring home every process whose home is here and that runs elsewhere.
int bring(const Ctx& c) {
  if (int rc = set(c, {{"lstay", true}}); rc) return rc;
  int brought = 0, failed = 0;
  for (pid_t sup : supervisors()) {
    std::string addr = migrate::supervisor_address(sup);
    auto list = daemon::control_request({{"op", "list"}}, addr);
    if (!list.ok() || !list->value("ok", false)) continue;
    for (const auto& p : list->value("processes", json::array())) {
      if (p.value("where", 0u) == p.value("home", 0u)) continue;
      auto r = daemon::control_request({{"op", "migrate"}, {"pid", p.value("pid", 0)}, {"to", "home"}},
                                       addr, std::chrono::seconds(120));
      if (r.ok() && r->value("ok", false)) {
        ++brought;
      } else {
        ++failed;
        print_error(c.prog, fmt::format("process {}: {}", p.value("pid", 0),
                                        r.ok() ? r->value("error", std::string("failed")) : r.error().message()));
      }
    }
  }
  std::printf("brought home %d process%s; local processes now stay (mosctl nolstay to undo)\n",
              brought, brought == 1 ? "" : "es");
  return failed ? kExitFailed : kExitOk;
}

uint32_t parse_id(const std::string& s, bool& ok) {
  ok = !s.empty() && s.size() <= 5 && s.find_first_not_of("0123456789") == std::string::npos;
  uint32_t v = ok ? static_cast<uint32_t>(std::stoul(s)) : 0;
  ok = ok && v >= cluster::kMinNodeId && v <= cluster::kMaxNodeId;
  return v;
}

}  // namespace

int cmd_mosctl(const Args& args) {
  CLI::App app("openMosix node control: settings, per-node values, who is who", args[0]);
  Ctx c{args[0], daemon::default_control_address()};
  std::string command, arg;
  app.add_option("--address", c.address, "omxd control socket")->capture_default_str();
  app.add_option("command", command,
                 "stay|nostay|lstay|nolstay|block|noblock|quiet|noquiet|mfs|nomfs|setspeed N|"
                 "getload|getspeed|getmem|getfree|getutil|status|isup [ID]|whois [ID|IP|host]|"
                 "expel|bring|shutdown")
      ->required();
  app.add_option("arg", arg, "node id, speed, address or host name");
  app.footer(
      "Root only: the switches, setspeed, and\n"
      "  expel     block guests, send every guest home, wait until none is left\n"
      "  bring     lstay, bring home every process of this node running elsewhere\n"
      "  shutdown  stop omxd cleanly (as SIGTERM): refuse new guests, send every guest home,\n"
      "            wait for them (at most omxd --shutdown-timeout, default 30 s), then leave the\n"
      "            cluster and exit. Processes of this node running elsewhere stay there.\n"
      "Exit: 0 ok (isup: yes), 1 failed (isup: no; shutdown: guests left running), 2 usage,\n"
      "3 refused (not root), 4 no daemon.");
  if (int rc = parse(app, args); rc >= 0) return rc;

  static const std::map<std::string, std::pair<const char*, bool>> kSwitches = {
      {"stay", {"stay", true}},   {"nostay", {"stay", false}},   {"lstay", {"lstay", true}},
      {"nolstay", {"lstay", false}}, {"block", {"block", true}}, {"noblock", {"block", false}},
      {"quiet", {"quiet", true}}, {"noquiet", {"quiet", false}}, {"nomfs", {"nomfs", true}},
      {"mfs", {"nomfs", false}}};
  static const std::map<std::string, std::pair<const char*, const char*>> kGets = {
      {"getload", {"load", "load"}},         {"getspeed", {"speed", "speed"}},
      {"getmem", {"mem_used", "memory use"}}, {"getfree", {"mem_free", "free memory"}},
      {"getutil", {"util", "utilizability"}}};
  auto usage = [&](const std::string& why) {
    print_error(c.prog, why + " (--help for usage)");
    return kExitUsage;
  };
  if (auto it = kSwitches.find(command); it != kSwitches.end()) {
    if (!arg.empty()) return usage(command + " takes no argument");
    return set(c, {{it->second.first, it->second.second}});
  }
  if (command == "setspeed") {
    if (arg == "measure") return set(c, {{"speed", nullptr}});
    bool ok = !arg.empty() && arg.size() <= 9 && arg.find_first_not_of("0123456789") == std::string::npos;
    if (!ok || std::stoul(arg) == 0) return usage("setspeed needs a positive integer (10000 = standard) or 'measure'");
    return set(c, {{"speed", std::stoul(arg)}});
  }
  if (command == "whois") return whois(c, arg);
  if (command == "expel" || command == "bring" || command == "shutdown") {
    if (!arg.empty()) return usage(command + " takes no argument");
    if (command == "shutdown") return shutdown(c);
    return command == "expel" ? expel(c) : bring(c);
  }
  uint32_t id = 0;
  if (!arg.empty()) {
    bool ok;
    id = parse_id(arg, ok);
    if (!ok) return usage("'" + arg + "' is not a node id (1..65535)");
  }
  if (auto it = kGets.find(command); it != kGets.end()) return get_value(c, id, it->second.first, it->second.second);
  if (command == "status") return status(c, id);
  if (command == "isup") return isup(c, id);
  return usage("unknown command '" + command + "'");
}

}  // namespace omx::cli
