// omx migrate PID NODE|home|balance (openMosix: migrate PID {ID|home|balance}) and omx where PID.
// They talk to the supervisor of PID, found as its ptrace tracer (/proc/PID/status TracerPid).
#include <sys/types.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string>

#include <fmt/format.h>

#include "commands.h"
#include "daemon/control_client.h"
#include "migrate/home.h"

namespace omx::cli {
namespace {

// The supervisor of `pid`, or 0 with a message printed.
pid_t supervisor_of(pid_t pid, const std::string& me) {
  std::ifstream in(fmt::format("/proc/{}/status", pid));
  if (!in) {
    std::fprintf(stderr, "%s: no process %d\n", me.c_str(), pid);
    return 0;
  }
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("TracerPid:", 0) == 0) {
      pid_t t = std::stoi(line.substr(10));
      if (t > 0) return t;
    }
  std::fprintf(stderr, "%s: process %d is not migratable (start it with mosrun or omx run)\n",
               me.c_str(), pid);
  return 0;
}

bool parse_pid(const std::string& s, pid_t& out) {
  try {
    size_t used = 0;
    long v = std::stol(s, &used);
    if (used != s.size() || v <= 0) return false;
    out = static_cast<pid_t>(v);
    return true;
  } catch (...) {
    return false;
  }
}

int ask(pid_t pid, const nlohmann::json& req, const std::string& me, nlohmann::json& reply) {
  pid_t sup = supervisor_of(pid, me);
  if (!sup) return kExitRefused;
  auto r = daemon::control_request(req, migrate::supervisor_address(sup), std::chrono::seconds(120));
  if (!r.ok()) {
    std::fprintf(stderr, "%s: supervisor of %d did not answer: %s\n", me.c_str(), pid,
                 r.error().message().c_str());
    return kExitUnavailable;
  }
  reply = *r;
  if (!reply.value("ok", false)) {
    std::fprintf(stderr, "%s: %s\n", me.c_str(), reply.value("error", "failed").c_str());
    return reply.value("refused", false) ? kExitRefused : kExitFailed;
  }
  return kExitOk;
}

}  // namespace

// Strips a --json flag from `args`; returns whether it was there.
bool take_json_flag(Args& args) {
  auto it = std::find(args.begin() + 1, args.end(), "--json");
  if (it == args.end()) return false;
  args.erase(it);
  return true;
}

int cmd_migrate(const Args& all) {
  Args args = all;
  bool as_json = take_json_flag(args);
  const std::string& me = args[0];
  if (args.size() == 2 && (args[1] == "--help" || args[1] == "-h")) {
    std::printf("usage: %s [--json] PID {NODE-ID|home|balance}\nMoves a running migratable process "
                "to node NODE-ID, back to its home node, or to wherever the load\nbalancer thinks "
                "best now (it stays if that is where it is; a locked process moves too).\n--json "
                "prints the result (where, move_ms: stop to resume, move_bytes: page bytes carried).\n",
                me.c_str());
    return kExitOk;
  }
  pid_t pid = 0;
  if (args.size() != 3 || !parse_pid(args[1], pid)) {
    std::fprintf(stderr, "usage: %s [--json] PID {NODE-ID|home|balance} (--help for details)\n",
                 me.c_str());
    return kExitUsage;
  }
  const std::string& to = args[2];
  if (to != "home" && to != "balance" && (to.empty() || to.size() > 9 ||
                                          to.find_first_not_of("0123456789") != std::string::npos)) {
    std::fprintf(stderr, "%s: '%s' is not a node id, 'home' or 'balance'\n", me.c_str(), to.c_str());
    return kExitUsage;
  }
  nlohmann::json reply;
  int rc = ask(pid, {{"op", "migrate"}, {"pid", pid}, {"to", to}}, me, reply);
  if (rc == kExitOk && as_json) std::printf("%s\n", reply.dump().c_str());
  return rc;
}

int cmd_where(const Args& all) {
  Args args = all;
  bool as_json = take_json_flag(args);
  const std::string& me = args[0];
  pid_t pid = 0;
  if (args.size() == 2 && (args[1] == "--help" || args[1] == "-h")) {
    std::printf("usage: %s [--json] PID\nPrints the node a migratable process runs on (--json: "
                "the supervisor's reply).\n", me.c_str());
    return kExitOk;
  }
  if (args.size() != 2 || !parse_pid(args[1], pid)) {
    std::fprintf(stderr, "usage: %s [--json] PID (--help for details)\n", me.c_str());
    return kExitUsage;
  }
  nlohmann::json reply;
  int rc = ask(pid, {{"op", "where"}, {"pid", pid}}, me, reply);
  if (rc == kExitOk && as_json) std::printf("%s\n", reply.dump().c_str());
  else if (rc == kExitOk) std::printf("%u\n", reply.value("where", 0u));
  return rc;
}

// omx lock PID / omx unlock PID: keep automatic balancing from moving PID (openMosix
// /proc/PID/lock, mosrun -L); manual `migrate` still works. Owner or root.
int cmd_lock(const Args& args) {
  const std::string& me = args[0];
  bool lock = me.find("unlock") == std::string::npos;
  pid_t pid = 0;
  if (args.size() == 2 && (args[1] == "--help" || args[1] == "-h")) {
    std::printf("usage: %s PID\n%s automatic migration of a migratable process (manual migrate "
                "still works).\n", me.c_str(), lock ? "Stops" : "Allows again");
    return kExitOk;
  }
  if (args.size() != 2 || !parse_pid(args[1], pid)) {
    std::fprintf(stderr, "usage: %s PID (--help for details)\n", me.c_str());
    return kExitUsage;
  }
  nlohmann::json reply;
  return ask(pid, {{"op", lock ? "lock" : "unlock"}, {"pid", pid}}, me, reply);
}

}  // namespace omx::cli
