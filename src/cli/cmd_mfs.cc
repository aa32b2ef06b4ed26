// `omx mfs`: the /mfs cluster file system on this node (docs/mfs-dfsa-design.md §1.2, §1.8).
//
//   omx mfs serve --mount PATH [--control A] [--debug]   the FUSE client itself (root; omxd
//                                                        starts it with --mfs-mount PATH)
//   omx mfs mount [--mount PATH] [--control A]           ask omxd to start it (root)
//   omx mfs umount [--control A]                         ask omxd to stop it (root)
//   omx mfs status [--control A] [--json]                whether omxd runs it, where, its pid
//
// and `omx select NODE [PID]`: the node /mfs/selected names for PID (default: the caller's
// parent, the shell, so that the programs it starts afterwards inherit it); 0 clears.
#include <unistd.h>

#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "daemon/control_client.h"
#include "mfs/fuse_client.h"

namespace omx::cli {
namespace {

using json = nlohmann::json;

constexpr const char kUsage[] =
    "usage: omx mfs serve --mount PATH [--control ADDR] [--debug]\n"
    "       omx mfs mount [--mount PATH] [--control ADDR]\n"
    "       omx mfs umount [--control ADDR]\n"
    "       omx mfs status [--control ADDR] [--json]\n"
    "The /mfs cluster file system: /mfs/N/PATH is PATH on node N. serve is the FUSE client\n"
    "(root; omxd --mfs-mount starts it); mount, umount and status ask omxd (root).\n";

int serve_cmd(const Args& args) {
  CLI::App app("the /mfs FUSE client (root; started by omxd --mfs-mount)", args[0]);
  mfs::FuseClientOptions o;
  o.control = daemon::default_control_address();
  app.add_option("--mount", o.mount, "mount point, e.g. /mfs")->required();
  app.add_option("--control", o.control, "omxd's control socket")->capture_default_str();
  app.add_flag("--debug", o.debug, "libfuse debug output");
  if (int rc = parse(app, args); rc >= 0) return rc;
  if (::geteuid() != 0) {
    print_error(app.get_name(), "only root can mount /mfs");
    return kExitRefused;
  }
  return mfs::run_fuse_client(o) == 0 ? kExitOk : kExitFailed;
}

// mount, umount, status: one request {"op":"mfs","action":...} to omxd.
int ask_cmd(const Args& args, const std::string& action) {
  CLI::App app(fmt::format("{} /mfs on this node (asks omxd)", action), args[0]);
  std::string control = daemon::default_control_address();
  std::string mount = "/mfs";
  bool as_json = false;
  app.add_option("--control", control, "omxd's control socket")->capture_default_str();
  if (action == "mount") app.add_option("--mount", mount, "mount point")->capture_default_str();
  if (action == "status") app.add_flag("--json", as_json, "print omxd's reply as JSON");
  if (int rc = parse(app, args); rc >= 0) return rc;
  json req{{"op", "mfs"}, {"action", action}};
  if (action == "mount") req["mount"] = mount;
  int rc = kExitOk;
  auto reply = ask_omxd(app.get_name(), req, control, rc);
  if (!reply) return rc;
  if (as_json) {
    std::puts(reply->dump().c_str());
  } else if (action == "status") {
    if (reply->value("running", false))
      std::printf("/mfs client running at %s (pid %d, %d restarts)\n",
                  reply->value("mount", "").c_str(), reply->value("pid", 0), reply->value("restarts", 0));
    else
      std::printf("/mfs client not running%s\n", reply->value("wanted", false) ? " (restarting)" : "");
  }
  return kExitOk;
}

}  // namespace

int cmd_mfs(const Args& args) {
  if (args.size() < 2) {
    std::fputs(kUsage, stderr);
    return kExitUsage;
  }
  const std::string& sub = args[1];
  Args rest(args.begin() + 1, args.end());
  rest[0] = "omx mfs " + sub;
  if (sub == "serve") return serve_cmd(rest);
  if (sub == "mount" || sub == "umount" || sub == "status") return ask_cmd(rest, sub);
  if (sub == "--help" || sub == "-h" || sub == "help") {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  std::fprintf(stderr, "omx mfs: unknown subcommand '%s' (omx mfs --help for usage)\n", sub.c_str());
  return kExitUsage;
}

int cmd_select(const Args& args) {
  CLI::App app("choose the node /mfs/selected names for a process and its later children",
               args[0]);
  std::string control = daemon::default_control_address();
  unsigned node = 0;
  int pid = static_cast<int>(::getppid());
  app.add_option("node", node, "node id (0: clear)")->required();
  app.add_option("pid", pid, "process (default: the caller's parent, e.g. the shell)");
  app.add_option("--control", control, "omxd's control socket")->capture_default_str();
  if (int rc = parse(app, args); rc >= 0) return rc;
  int rc = kExitOk;
  ask_omxd(app.get_name(), {{"op", "select"}, {"pid", pid}, {"node", node}}, control, rc,
           kExitRefused);  // omx-select(1): no such process, or not yours
  return rc;
}

}  // namespace omx::cli
