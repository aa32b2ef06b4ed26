// omx command-line entry: dispatches to a subcommand by argv[1], or by argv[0] when invoked
// through one of the classic names (mosrun, migrate, mosctl, ...).
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "commands.h"

namespace omx::cli {
namespace {

int cmd_version(const Args& args) {
  if (args.size() == 2 && (args[1] == "--help" || args[1] == "-h")) {
    std::printf("usage: %s\nPrints omx's version (also: omx --version).\n", args[0].c_str());
    return kExitOk;
  }
  if (args.size() > 1) {
    std::fprintf(stderr, "%s: takes no arguments, got '%s' (--help for usage)\n", args[0].c_str(),
                 args[1].c_str());
    return kExitUsage;
  }
  std::puts("omx " OMX_VERSION);
  return kExitOk;
}

struct Command {
  const char* name;
  const char* classic;  // openMosix name that maps to it, or nullptr
  int (*fn)(const Args&);
  const char* help;
};

const Command kCommands[] = {
    {"run", "mosrun", cmd_run, "run a program as a migratable process"},
    {"migrate", "migrate", cmd_migrate, "move a process to a node, or home"},
    {"where", nullptr, cmd_where, "print the node a process runs on"},
    {"lock", nullptr, cmd_lock, "keep automatic balancing from moving a process"},
    {"unlock", nullptr, cmd_lock, "let automatic balancing move a process again"},
    {"version", nullptr, cmd_version, "print the version"},
    {"keygen", nullptr, cmd_keygen, "write a new cluster key file (mode 0600)"},
    {"omdiscd", "omdiscd", cmd_omdiscd, "automatic discovery: omxd finding nodes by multicast"},
    {"mosctl", "mosctl", cmd_mosctl, "node settings and per-node values (openMosix mosctl)"},
    {"showmap", "showmap", cmd_showmap, "show the cluster's node table (map rows)"},
    {"cluster", nullptr, cmd_cluster, "local cluster for tests and demos: up|exec|down|status"},
    {"control", nullptr, cmd_control, "send one request to omxd's control socket"},
    {"setpe", "setpe", cmd_setpe, "load, check, print or drop the cluster map"},
    {"mosmon", "mosmon", cmd_mosmon, "full-screen monitor: a bar per node (load, speed, memory)"},
    {"status", nullptr, cmd_status, "one-screen summary of the cluster and the balancer"},
    {"ps", nullptr, cmd_ps, "the migratable processes of this node (home, where, lock, ...)"},
    {"mps", "mps", cmd_mps, "BSD-style ps with a NODE column (openMosix mps)"},
    {"mtop", "mtop", cmd_mtop, "top with a NODE column (openMosix mtop)"},
    {"mfs", nullptr, cmd_mfs, "the /mfs cluster file system: serve|mount|umount|status"},
    {"select", nullptr, cmd_select, "choose the node /mfs/selected names for a process"},
    {"on", nullptr, cmd_on, "run a command on a node as a user, through its omxd (root only)"},
    {"dashboard", nullptr, cmd_dashboard, "the web dashboard: serve (HTTP server) | url (open it)"},
};

void usage(FILE* out) {
  std::fprintf(out, "usage: omx COMMAND [ARGS...]   (omx COMMAND --help for details)\n\ncommands:\n");
  for (const auto& c : kCommands)
    std::fprintf(out, "  %-10s %s%s%s\n", c.name, c.help, c.classic ? "  [also: " : "",
                 c.classic ? (std::string(c.classic) + "]").c_str() : "");
}

}  // namespace
}  // namespace omx::cli

int main(int argc, char** argv) {
  using namespace omx::cli;
  std::string_view self = argv[0];
  if (auto slash = self.rfind('/'); slash != std::string_view::npos) self.remove_prefix(slash + 1);
  // Called by a classic name: messages name it as typed, without the directory.
  Args classic(argv, argv + argc);
  classic[0] = std::string(self);
  if (self == "mosrun") return cmd_mosrun(classic);
  for (const auto& c : kCommands) {
    if (c.classic && self == c.classic) return c.fn(classic);
  }
  if (argc < 2) {
    usage(stderr);
    return kExitUsage;
  }
  std::string_view sub = argv[1];
  if (sub == "--help" || sub == "-h" || sub == "help") {
    usage(stdout);
    return kExitOk;
  }
  if (sub == "--version") sub = "version";
  for (const auto& c : kCommands) {
    if (sub == c.name) {
      Args args(argv + 1, argv + argc);
      args[0] = std::string("omx ") + c.name;
      return c.fn(args);
    }
  }
  std::fprintf(stderr, "omx: unknown command '%s' (omx --help lists them)\n", argv[1]);
  return kExitUsage;
}
