// omx on NODE [--user NAME|UID] [--timeout SEC] -- COMMAND ARGS...: runs one command on node
// NODE as a user, through that node's omxd (relay/client.h), and prints its output. The command
// is one of relay::run_as's whitelist (omx migrate|where|lock|unlock|ps|mps|mosctl|status|
// showmap, kill, renice); there it runs with the user's uid, gid and groups, so it may do
// exactly what that user may do on that node (omx on 2 --user alice -- kill -STOP 1234 fails
// as alice's own kill would). The local node goes through its own omxd the same way.
//
// Root only: it uses the cluster key (from $OMX_KEY, a key file, else omxd's "key" op, which
// answers root only), and the other node believes the user it names. --user defaults to root;
// a name is looked up here, and the uid is what the other node gets (its groups come from that
// node's databases).
//
// Exit: the command's status (128+signal when a signal killed it, 124 when it ran out of
// time), 2 usage, 3 not root or refused by the other node (command not allowed there),
// 4 no omxd here, node unknown or not answering, 1 other failures.
#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "commands.h"
#include "daemon/control_client.h"
#include "relay/client.h"
#include "wire/key.h"

namespace omx::cli {
namespace {

constexpr int kExitTimedOut = 124;  // as timeout(1)

// --user: a name from the passwd database, or a number (gid from passwd, else the same number).
bool parse_user(const std::string& s, relay::RunAs& as, std::string& why) {
  if (s.empty()) {
    as = {0, 0};
    return true;
  }
  if (s.find_first_not_of("0123456789") == std::string::npos && s.size() < 10) {
    as.uid = static_cast<uid_t>(std::stoul(s));
    const passwd* pw = ::getpwuid(as.uid);
    as.gid = pw ? pw->pw_gid : static_cast<gid_t>(as.uid);
    return true;
  }
  const passwd* pw = ::getpwnam(s.c_str());
  if (!pw) {
    why = fmt::format("no user '{}' on this node (give a uid to name a user known only there)", s);
    return false;
  }
  as = {pw->pw_uid, pw->pw_gid};
  return true;
}

// The node's address and the cluster key, or the exit code with its message printed.
int prepare(const std::string& prog, uint32_t node, const std::string& control,
            relay::NodeAddress& where, wire::Key& key) {
  int rc = kExitOk;
  auto nodes = ask_omxd(prog, {{"op", "nodes"}}, control, rc);
  if (!nodes) return rc;
  auto found = relay::find_node(*nodes, node);
  if (!found.ok()) {
    print_error(prog, found.error().code == ErrorCode::kInvalid
                          ? fmt::format("node {} is not in the cluster map (showmap lists them)", node)
                          : found.error().message());
    return kExitUnavailable;
  }
  where = *found;
  if (const char* file = std::getenv("OMX_KEY"); file && *file) {
    auto k = wire::load_key(file);
    if (!k.ok()) {
      print_error(prog, k.error().message());
      return kExitFailed;
    }
    key = *k;
    return kExitOk;
  }
  auto reply = ask_omxd(prog, {{"op", "key"}}, control, rc, kExitRefused);
  if (!reply) return rc;
  auto k = wire::Key::from_hex(reply->value("key", std::string()));
  if (!k.ok()) {
    print_error(prog, "omxd gave no usable cluster key: " + k.error().message());
    return kExitFailed;
  }
  key = *k;
  return kExitOk;
}

int exit_code_of(const Error& e) {
  switch (e.code) {
    case ErrorCode::kRefused: return kExitRefused;
    case ErrorCode::kTimeout: return kExitUnavailable;
    case ErrorCode::kSys:
      return e.err == ECONNREFUSED || e.err == EHOSTUNREACH || e.err == ENETUNREACH ||
                     e.err == ETIMEDOUT || e.err == ECONNRESET
                 ? kExitUnavailable
                 : kExitFailed;
    default: return kExitFailed;
  }
}

}  // namespace

int cmd_on(const Args& args) {
  CLI::App app("run a command on a node as a user, through its omxd (root only)", args[0]);
  uint32_t node = 0;
  std::string user, control = daemon::default_control_address();
  double timeout_s = 30;
  std::vector<std::string> command;
  app.add_option("node", node, "node id (showmap lists them)")->required()->check(CLI::Range(1, 65535));
  app.add_option("--user", user, "run as this user: name or uid (default root)");
  app.add_option("--timeout", timeout_s, "seconds the command may take (default 30)")
      ->check(CLI::Range(0.1, 3600.0));
  app.add_option("--address", control, "omxd control socket")->capture_default_str();
  app.add_option("command", command,
                 "after --: omx migrate|where|lock|unlock|ps|mps|mosctl|status|showmap, kill or "
                 "renice, with its arguments")
      ->required();
  app.footer("example: omx on 2 --user alice -- omx ps --json");
  if (int rc = parse(app, args); rc >= 0) return rc;
  const std::string prog = app.get_name();
  relay::RunAs as{0, 0};
  if (std::string why; !parse_user(user, as, why)) {
    print_error(prog, why);
    return kExitUsage;
  }
  if (auto r = relay::resolve_command(command); !r.ok() && r.error().code != ErrorCode::kSys) {
    print_error(prog, r.error().message());
    return r.error().code == ErrorCode::kRefused ? kExitRefused : kExitUsage;
  }
  if (::geteuid() != 0) {
    print_error(prog, "only root can run commands on a node for a user (it uses the cluster key)");
    return kExitRefused;
  }
  relay::NodeAddress where;
  wire::Key key;
  if (int rc = prepare(prog, node, control, where, key); rc != kExitOk) return rc;
  auto timeout = std::chrono::milliseconds(static_cast<int64_t>(timeout_s * 1000));
  auto res = relay::relay_run(where.host, where.port, key, as, command, timeout);
  if (!res.ok()) {
    print_error(prog, fmt::format("node {}: {}", node, res.error().message()));
    return exit_code_of(res.error());
  }
  std::fwrite(res->out.data(), 1, res->out.size(), stdout);
  std::fflush(stdout);
  std::fwrite(res->err.data(), 1, res->err.size(), stderr);
  if (res->out_truncated || res->err_truncated)
    print_error(prog, fmt::format("output of '{}' on node {} cut at {} bytes per stream", command[0],
                                  node, relay::kDefaultMaxOutput));
  if (res->timed_out) {
    print_error(prog, fmt::format("'{}' on node {} did not finish within {} s: killed", command[0],
                                  node, timeout_s));
    return kExitTimedOut;
  }
  return res->exit_code >= 0 ? res->exit_code : 128 - res->exit_code;
}

}  // namespace omx::cli
