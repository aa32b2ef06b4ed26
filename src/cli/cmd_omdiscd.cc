// `omdiscd` (also `omx omdiscd`): openMosix's auto-discovery daemon, as a front end to omxd
// --discovery (reference §1.7): nodes announce themselves by authenticated multicast on one
// interface and find each other without a map.
//
//   omdiscd [-i|--interface IF] [-n|--nodaemon] [-m|--multicast-ttl TTL] [--key FILE]
//           [--node-id N] [--control ADDR] [--state-dir DIR] [--log FILE]
//
// Without -i the default route's interface is used; the node id is the last two octets of the
// interface's address unless --node-id is given; the map is /etc/omx/openmosix.map & co. if one
// exists, else this node alone. -n stays in the foreground, logging to stderr; otherwise omdiscd
// returns once omxd is ready, omxd logging to --log (default /var/log/omxd.log). Exit: 0, 1 omxd failed to
// start, 2 usage.
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "commands.h"

namespace omx::cli {
namespace {

// omxd beside this executable, else the one on $PATH.
std::string omxd_path() {
  char self[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    std::string dir(self, static_cast<size_t>(n));
    dir.resize(dir.rfind('/') + 1);
    if (::access((dir + "omxd").c_str(), X_OK) == 0) return dir + "omxd";
  }
  return "omxd";
}

[[noreturn]] void exec_omxd(std::vector<std::string> args) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  ::execvp(argv[0], argv.data());
  std::fprintf(stderr, "omdiscd: cannot run %s: %s\n", argv[0], std::strerror(errno));
  ::_exit(1);
}

// Starts omxd in the background and waits (10 s) for it to say it is ready.
int daemonize(std::vector<std::string> args, const std::string& log_file) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return kExitFailed;
  pid_t pid = ::fork();
  if (pid < 0) return kExitFailed;
  if (pid == 0) {
    ::setsid();
    int log = ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (log < 0) log = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    ::dup2(null, 0);
    ::dup2(log, 1);
    ::dup2(log, 2);
    ::dup2(p[1], 3);  // --ready-fd 3 (dup2 clears close-on-exec)
    args.push_back("--ready-fd");
    args.push_back("3");
    exec_omxd(std::move(args));
  }
  ::close(p[1]);
  pollfd pf{p[0], POLLIN, 0};
  char buf[16] = {};
  if (::poll(&pf, 1, 10000) == 1 && ::read(p[0], buf, sizeof buf - 1) > 0 &&
      std::strncmp(buf, "ready", 5) == 0) {
    std::printf("omdiscd: omxd running (pid %d), log in %s\n", pid, log_file.c_str());
    return kExitOk;
  }
  std::fprintf(stderr, "omdiscd: omxd did not start; see %s\n", log_file.c_str());
  return kExitFailed;
}

}  // namespace

int cmd_omdiscd(const Args& args) {
  CLI::App app("automatic discovery: run omxd finding the other nodes by multicast", args[0]);
  std::string iface, key = "/etc/omx/cluster.key", control, state_dir = "/var/lib/omx";
  std::string log_file = "/var/log/omxd.log";
  bool foreground = false;
  int ttl = 0;
  uint32_t node_id = 0;
  app.add_option("-i,--interface", iface, "interface (default: the default route's)");
  app.add_flag("-n,--nodaemon", foreground, "stay in the foreground, log to stderr");
  app.add_option("-m,--multicast-ttl", ttl, "multicast TTL (routed clusters)")->check(CLI::Range(1, 255));
  app.add_option("--key", key, "cluster key file")->capture_default_str();
  app.add_option("--node-id", node_id, "node id (default: last two octets of the address)")
      ->check(CLI::Range(1, 65535));
  app.add_option("--control", control, "omxd control socket");
  app.add_option("--state-dir", state_dir, "omxd state directory")->capture_default_str();
  app.add_option("--log", log_file, "omxd's log when not -n")->capture_default_str();
  if (int rc = parse(app, args); rc >= 0) return rc;
  std::vector<std::string> a = {omxd_path(), "--foreground", "--discovery", "--key", key,
                                "--state-dir", state_dir};
  if (!iface.empty()) a.insert(a.end(), {"-i", iface});
  if (ttl) a.insert(a.end(), {"-m", std::to_string(ttl)});
  if (node_id) a.insert(a.end(), {"--node-id", std::to_string(node_id)});
  if (!control.empty()) a.insert(a.end(), {"--control", control});
  if (foreground) exec_omxd(std::move(a));
  return daemonize(std::move(a), log_file);
}

}  // namespace omx::cli
