// omx run / mosrun: starts a program as a migratable process (docs/design.md "Processes and
// roles"). This process forks a detached supervisor (grandchild) that seizes it with ptrace,
// then execs the program: the program keeps this pid, stays the shell's child and keeps the
// terminal, so job control, $! and wait are native. If no supervisor can attach, the program
// still runs, natively, with a warning.
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <cstring>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "base/log.h"
#include "daemon/control_address.h"
#include "daemon/control_client.h"
#include "commands.h"
#include "migrate/home.h"
#include "mosrun_options.h"
#include "proc/tracee.h"

namespace omx::cli {
namespace {

struct RunOptions {
  uint32_t bounce_ms = 0;
  bool balance = false;
  bool locked = false;
  uint8_t hint = 0;
  uint32_t start_on = 0;
  bool start_best = false;
  std::string stats_json;
  std::vector<std::string> argv;
};

bool read_full(int fd, void* buf, size_t n) {
  size_t done = 0;
  while (done < n) {
    ssize_t r = read(fd, static_cast<char*>(buf) + done, n - done);
    if (r <= 0) return false;
    done += static_cast<size_t>(r);
  }
  return true;
}

// In the grandchild: become the supervisor of `target`. Never returns.
[[noreturn]] void supervise(pid_t target, int to_parent, int from_parent, const RunOptions& o) {
  setsid();  // no controlling terminal: Ctrl-C and SIGHUP are for the program, not for us
  // Block SIGCHLD before attaching: the first ptrace stops (the program's exec) must stay
  // pending until the supervisor's signalfd reads them, not be discarded.
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, nullptr);
  // A control client that went away must cost an EPIPE, never the supervisor (whose death
  // kills every process it traces).
  signal(SIGPIPE, SIG_IGN);
  pid_t me = getpid();
  (void)!write(to_parent, &me, sizeof me);
  char go = 0;
  if (!read_full(from_parent, &go, 1)) _exit(1);
  auto t = proc::Tracee::seize(target, proc::Tracee::default_options() | PTRACE_O_TRACEEXIT);
  char ok = t.ok() ? 'A' : 'X';
  if (!t.ok()) std::fprintf(stderr, "omx run: cannot supervise: %s\n", t.error().message().c_str());
  (void)!write(to_parent, &ok, 1);
  close(to_parent);
  close(from_parent);
  if (!t.ok()) _exit(1);
  t->release();  // the supervisor adopts it
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  dup2(null, 0);
  dup2(null, 1);
  if (const char* logf = getenv("OMX_SUPERVISOR_LOG")) {
    int l = open(logf, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (l >= 0) dup2(l, 2);
  }
  log::set_process_tag(fmt::format("sup{}", getpid()));
  migrate::HomeConfig cfg;
  cfg.bounce_ms = o.bounce_ms;
  cfg.balance = o.balance;
  cfg.locked = o.locked;
  cfg.hint = o.hint;
  cfg.start_on = o.start_on;
  cfg.start_best = o.start_best;
  cfg.stats_json = o.stats_json;
  _exit(migrate::run_home_supervisor(target, cfg));
}

// Starts the supervisor and waits until it has attached to us. Returns false if it could not.
bool start_supervisor(const RunOptions& o) {
  int up[2], down[2];
  if (pipe2(up, O_CLOEXEC) != 0 || pipe2(down, O_CLOEXEC) != 0) return false;
  pid_t target = getpid();
  pid_t c1 = fork();
  if (c1 < 0) return false;
  if (c1 == 0) {
    close(up[0]);
    close(down[1]);
    if (fork() == 0) supervise(target, up[1], down[0], o);
    _exit(0);
  }
  close(up[1]);
  close(down[0]);
  waitpid(c1, nullptr, 0);
  pid_t sup = 0;
  bool ok = read_full(up[0], &sup, sizeof sup);
  if (ok) prctl(PR_SET_PTRACER, static_cast<unsigned long>(sup), 0, 0, 0);  // Yama scope 1
  char go = 'G', attached = 0;
  ok = ok && write(down[1], &go, 1) == 1 && read_full(up[0], &attached, 1) && attached == 'A';
  close(up[0]);
  close(down[1]);
  return ok;
}

int run_program(const RunOptions& o, const std::string& me) {
  if (o.argv.empty()) {
    std::fprintf(stderr, "%s: no program given (usage: %s [OPTIONS] -- PROG ARGS...)\n", me.c_str(), me.c_str());
    return kExitUsage;
  }
  if (!start_supervisor(o))
    std::fprintf(stderr, "%s: warning: no supervisor attached; %s runs here without migration\n",
                 me.c_str(), o.argv[0].c_str());
  std::vector<char*> args;
  for (const auto& a : o.argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  execvp(args[0], args.data());
  std::fprintf(stderr, "%s: cannot run %s: %s\n", me.c_str(), args[0], std::strerror(errno));
  return errno == ENOENT ? 127 : 126;
}

}  // namespace

int cmd_run(const Args& args) {
  CLI::App app{"Run a program as a migratable process: it runs here until the cluster moves it."};
  app.name(args[0]);
  RunOptions o;
  app.add_option("--bounce", o.bounce_ms,
                 "stress mode: move every process of the tree to the next node every MS ms "
                 "(round robin through all nodes, home included)")->type_name("MS");
  app.add_flag("--balance", o.balance,
               "automatic balancing: the cluster moves the tree's processes to less loaded, "
               "faster nodes by itself (balance/balancer.h)");
  app.add_option("--stats-json", o.stats_json,
                 "at exit, write {migrations, failed_migrations, forwarded_syscalls, went_home}")
      ->type_name("FILE");
  app.add_option("prog", o.argv, "the program and its arguments (after --)")->required();
  app.allow_extras(false);
  app.positionals_at_end(true);
  if (int rc = parse(app, args); rc >= 0) return rc;
  return run_program(o, args[0]);
}

// The node mosrun -ID / -jLIST starts on: one of `wanted` that omxd reports up and accepting
// guests (random among them), this node itself, or an error naming why none is.
Result<uint32_t> pick_start_node(const std::vector<uint32_t>& wanted) {
  auto reply = daemon::control_request({{"op", "nodes"}}, daemon::default_control_address(),
                                       std::chrono::milliseconds(2000));
  if (!reply.ok()) return make_error(ErrorCode::kRefused, "no omxd on this node: " + reply.error().message());
  if (!reply->value("ok", false)) return make_error(ErrorCode::kRefused, "omxd: " + reply->value("error", std::string()));
  uint32_t self = reply->value("node", 0u);
  std::vector<uint32_t> ok;
  std::string why;
  for (uint32_t id : wanted) {
    // Membership's state, not the load record (a node just started has none yet).
    nlohmann::json n;
    for (const auto& e : reply->value("nodes", nlohmann::json::array()))
      if (e.value("id", 0u) == id) n = e;
    if (id == self) ok.push_back(id);
    else if (n.is_null()) why = fmt::format("node {} is not in the cluster map", id);
    else if (n.value("state", std::string()) != "up") why = fmt::format("node {} is down", id);
    else if (n.value("status", nlohmann::json::object()).value("block", false))
      why = fmt::format("node {} does not accept guests (mosctl block)", id);
    else ok.push_back(id);
  }
  if (ok.empty())
    return make_error(ErrorCode::kRefused, wanted.size() == 1 ? why : "no node of the list is available (" + why + ")");
  std::random_device rd;
  return ok[std::uniform_int_distribution<size_t>(0, ok.size() - 1)(rd)];
}

// mosrun: the openMosix spelling (mosrun_options.h). Balanced automatically unless locked.
int cmd_mosrun(const Args& args) {
  auto parsed = parse_mosrun(args);
  if (!parsed.ok()) {
    std::fprintf(stderr, "mosrun: %s\n", parsed.error().what.c_str());
    return kExitUsage;
  }
  if (parsed->help) {
    std::printf("%s", kMosrunUsage);
    return kExitOk;
  }
  RunOptions o;
  o.argv = parsed->argv;
  o.stats_json = parsed->stats_json;
  o.balance = true;
  o.locked = parsed->locked;
  o.hint = parsed->hint;
  using W = MosrunOptions::Where;
  if (parsed->where == W::kBest) o.start_best = true;
  if (parsed->where == W::kNode || parsed->where == W::kList) {
    auto to = pick_start_node(parsed->where == W::kNode ? std::vector<uint32_t>{parsed->node} : parsed->list);
    if (to.ok()) {
      o.start_on = *to;
    } else if (parsed->fallback_anywhere) {
      std::fprintf(stderr, "mosrun: %s; starting on the best node instead (-F)\n", to.error().what.c_str());
      o.start_best = true;
    } else {
      std::fprintf(stderr, "mosrun: %s\n", to.error().what.c_str());
      return kExitUnavailable;
    }
  }
  return run_program(o, "mosrun");
}

}  // namespace omx::cli
