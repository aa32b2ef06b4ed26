#include "cluster/cpu_cgroup.h"
#include "cluster/node_launch.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <thread>

#include <fmt/format.h>

#include "cluster/file_util.h"
#include "cluster/netns.h"

extern char** environ;

namespace omx::cluster {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kReadyFdInChild = 3;
constexpr int64_t kCheckEveryMs = 100;  // how often wait_until_ready asks keep_going

// Everything the child needs, prepared before fork so the child only makes system calls.
struct ChildPlan {
  std::string omxd;
  std::vector<std::string> args;
  std::string tmp;        // DIR/node<i>/tmp, bound on /tmp (namespaces mode)
  std::string share;      // /tmp/<dir> holding omx's own tree, kept visible in the node ("" none)
  int netns_fd = -1;      // -1 in host mode
  int dir_fd = -1;
  int devnull = -1;
  int log_fd = -1;
  int ready_w = -1;
  int status_w = -1;
  std::string cgroup;     // the node's CPU-quota cgroup ("" none)
};

[[noreturn]] void child_fail(int status_w, const char* step) {
  std::string msg = fmt::format("{}: {}", step, std::strerror(errno));
  [[maybe_unused]] ssize_t n = ::write(status_w, msg.data(), msg.size());
  ::_exit(127);
}

[[noreturn]] void run_child(const ChildPlan& p) {
  // Keep every fd we need above 3 first: dup2 onto 0..3 must not clobber one of them.
  int status_w = ::fcntl(p.status_w, F_DUPFD_CLOEXEC, 10);
  int in = ::fcntl(p.devnull, F_DUPFD_CLOEXEC, 10);
  int log = ::fcntl(p.log_fd, F_DUPFD_CLOEXEC, 10);
  int ready = ::fcntl(p.ready_w, F_DUPFD_CLOEXEC, 10);
  if (status_w < 0 || in < 0 || log < 0 || ready < 0) child_fail(p.status_w, "dup fds");
  // A daemon starts with default signal handling, whatever the harness blocked or ignored
  // (a background job of a non-interactive shell ignores SIGINT, for one).
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE}) ::signal(sig, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  // omxd may live under the host's /tmp, which the node's private /tmp hides: keep a handle.
  int omxd_fd = ::open(p.omxd.c_str(), O_PATH | O_CLOEXEC);
  if (p.netns_fd >= 0) {
    if (::setns(p.netns_fd, CLONE_NEWNET) != 0) child_fail(status_w, "setns(node netns)");
    if (::unshare(CLONE_NEWNS) != 0) child_fail(status_w, "unshare(CLONE_NEWNS)");
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) != 0)
      child_fail(status_w, "mount --make-rslave /");
    // omx itself (a checkout or build under /tmp) must stay reachable at its own path: take a
    // handle on it in this namespace (a bind source must be in it) before /tmp is covered.
    int share_fd = p.share.empty() ? -1 : ::open(p.share.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (!p.share.empty() && share_fd < 0) child_fail(status_w, "open omx's own tree");
    if (::mount(p.tmp.c_str(), "/tmp", nullptr, MS_BIND, nullptr) != 0)
      child_fail(status_w, "bind the node's private /tmp");
    if (share_fd >= 0) {
      char src[64];
      std::snprintf(src, sizeof src, "/proc/self/fd/%d", share_fd);
      if ((::mkdir(p.share.c_str(), 0755) != 0 && errno != EEXIST) ||
          ::mount(src, p.share.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0)
        child_fail(status_w, "bind omx's own tree into the node's /tmp");
    }
  }
  if (!p.cgroup.empty() && !join_cgroup(p.cgroup).ok()) child_fail(status_w, "join the node's cgroup");
  if (::fchdir(p.dir_fd) != 0) child_fail(status_w, "chdir to the cluster directory");
  if (::setsid() < 0) child_fail(status_w, "setsid");
  if (::dup2(in, 0) < 0 || ::dup2(log, 1) < 0 || ::dup2(log, 2) < 0 ||
      ::dup2(ready, kReadyFdInChild) < 0)
    child_fail(status_w, "dup2");
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(p.omxd.c_str()));
  for (const auto& a : p.args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  ::execve(p.omxd.c_str(), argv.data(), environ);
  if (errno == ENOENT && omxd_fd >= 0) {
    // Hidden by the private /tmp: exec the file we opened before. (A #! script reached this way
    // fails, since its interpreter cannot open the close-on-exec fd: keep scripts elsewhere.)
    ::syscall(SYS_execveat, omxd_fd, "", argv.data(), environ, AT_EMPTY_PATH);
  }
  child_fail(status_w, "exec omxd");
}

std::vector<std::string> omxd_args(const ClusterState& c, const ClusterNode& n) {
  std::vector<std::string> args = {"--foreground",
          "--node-id", std::to_string(n.id),
          "--map", kMapFile,
          "--listen", n.addr.to_string(),
          "--port", std::to_string(c.port),
          "--control", n.control,
          "--state-dir", n.dir_name(),
          "--key", kKeyFile,
          "--allow-root-guests",  // a local test cluster: tests run as root
          "--ready-fd", std::to_string(kReadyFdInChild)};
  if (c.discovery) args.push_back("--discovery");
  if (!n.cgroup.empty()) args.push_back("--load-cgroup");  // nodes share the machine
  // --mfs: tests run as root, so root is served as root (as --allow-root-guests above).
  if (c.mfs) args.insert(args.end(), {"--mfs-mount", kMfsMountPoint, "--mfs-root"});
  if (c.dashboard) {
    args.insert(args.end(), {"--http", dashboard_address(c, n)});
    if (n.id == c.nodes.front().id)
      args.insert(args.end(), {"--http-collector", history_path(c), "--http-collector-interval", "1"});
  }
  return args;
}

Result<ScopedFd> open_checked(const std::string& path, int flags, mode_t mode = 0) {
  ScopedFd fd(::open(path.c_str(), flags | O_CLOEXEC, mode));
  if (!fd.valid()) return sys_error(fmt::format("open {}", path));
  return fd;
}

// Reads what the child wrote on the status pipe until exec closed it: empty means exec worked.
std::string read_status_pipe(int fd) {
  std::string msg;
  char buf[512];
  for (int reads = 0; reads < 64; ++reads) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    msg.append(buf, static_cast<size_t>(n));
  }
  return msg;
}

}  // namespace

Result<LaunchedNode> launch_omxd(const ClusterState& cluster, const ClusterNode& node) {
  ChildPlan plan;
  plan.omxd = cluster.omxd;
  plan.args = omxd_args(cluster, node);
  plan.cgroup = node.cgroup;
  std::string node_dir = cluster.path(node.dir_name());
  plan.tmp = node_dir + "/tmp";
  // If omxd (so the build, and usually the checkout) lives under the host's /tmp, the node's
  // private /tmp would hide it and every program the tests start from it.
  if (char* real = ::realpath(cluster.omxd.c_str(), nullptr)) {
    std::string r(real);
    ::free(real);
    if (r.rfind("/tmp/", 0) == 0 && r.find('/', 5) != std::string::npos)
      plan.share = r.substr(0, r.find('/', 5));
  }
  ScopedFd netns;
  if (cluster.mode == ClusterMode::kNamespaces) {
    OMX_ASSIGN(netns, open_named_netns(node.netns));
  }
  plan.netns_fd = netns.get();
  OMX_ASSIGN(ScopedFd dir, open_checked(cluster.dir, O_PATH | O_DIRECTORY));
  OMX_ASSIGN(ScopedFd devnull, open_checked("/dev/null", O_RDONLY));
  LaunchedNode out;
  out.id = node.id;
  out.log = node_dir + "/omxd.log";
  OMX_ASSIGN(ScopedFd log, open_checked(out.log, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644));
  int ready[2], status[2];
  if (::pipe2(ready, O_CLOEXEC) != 0) return sys_error("pipe2");
  ScopedFd ready_r(ready[0]), ready_w(ready[1]);
  if (::pipe2(status, O_CLOEXEC) != 0) return sys_error("pipe2");
  ScopedFd status_r(status[0]), status_w(status[1]);
  plan.dir_fd = dir.get();
  plan.devnull = devnull.get();
  plan.log_fd = log.get();
  plan.ready_w = ready_w.get();
  plan.status_w = status_w.get();

  pid_t pid = ::fork();
  if (pid < 0) return sys_error("fork");
  if (pid == 0) run_child(plan);
  status_w.reset();
  ready_w.reset();  // only omxd holds the write end now: EOF means it is gone
  if (std::string msg = read_status_pipe(status_r.get()); !msg.empty()) {
    ::waitpid(pid, nullptr, 0);
    return make_error(ErrorCode::kInvalid, fmt::format("node {}: starting {}: {}", node.id,
                                                       cluster.omxd, msg));
  }
  out.pid = pid;
  out.ready = std::move(ready_r);
  return out;
}

namespace {

std::string last_log_line(const std::string& path) {
  auto text = read_text_file(path, 16 << 20);
  if (!text.ok()) return {};
  std::string& t = *text;
  while (!t.empty() && (t.back() == '\n' || t.back() == ' ')) t.pop_back();
  auto nl = t.rfind('\n');
  return nl == std::string::npos ? t : t.substr(nl + 1);
}

// The node's omxd closed its ready pipe without writing "ready": collect its exit status
// (it is our child) for the message.
Error node_died(const LaunchedNode& n) {
  std::string how = "closed its ready pipe";
  int status = 0;
  for (int i = 0; i < 100; ++i) {  // up to 1 s for the exit to be visible
    pid_t r = ::waitpid(n.pid, &status, WNOHANG);
    if (r == n.pid) {
      how = WIFEXITED(status) ? fmt::format("exited with status {}", WEXITSTATUS(status))
                              : fmt::format("was killed by signal {}", WTERMSIG(status));
      break;
    }
    if (r < 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::string line = last_log_line(n.log);
  return make_error(ErrorCode::kInvalid,
                    fmt::format("node {}: omxd (pid {}) {} before it was ready{}", n.id, n.pid,
                                how, line.empty() ? fmt::format(" (its log {} is empty)", n.log)
                                                  : fmt::format(": {}", line)));
}

// Reads what is available from one node's ready pipe. Returns true when the node is done
// (ready); an error when it died.
Result<bool> read_ready(LaunchedNode& n) {
  char buf[64];
  ssize_t r = ::read(n.ready.get(), buf, sizeof buf);
  if (r < 0) return errno == EINTR || errno == EAGAIN ? Result<bool>(false) : sys_error("read ready pipe");
  if (r == 0) return node_died(n);
  n.buffered.append(buf, static_cast<size_t>(r));
  if (n.buffered.find("ready\n") == std::string::npos) {
    if (n.buffered.size() > 64)
      return make_error(ErrorCode::kProtocol,
                        fmt::format("node {}: omxd wrote something else than ready", n.id));
    return false;
  }
  n.ready.reset();
  return true;
}

}  // namespace

Status wait_until_ready(std::vector<LaunchedNode>& nodes, std::chrono::milliseconds timeout,
                        const std::function<Status()>& keep_going) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    if (keep_going) OMX_TRY(keep_going());
    std::vector<pollfd> fds;
    std::vector<LaunchedNode*> owners;
    for (auto& n : nodes) {
      if (!n.ready.valid()) continue;
      fds.push_back({n.ready.get(), POLLIN, 0});
      owners.push_back(&n);
    }
    if (fds.empty()) return ok_status();
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      const LaunchedNode& n = *owners.front();
      return make_error(ErrorCode::kTimeout,
                        fmt::format("node {}: omxd (pid {}) was not ready within {} ms (see {})",
                                    n.id, n.pid, timeout.count(), n.log));
    }
    int slice = static_cast<int>(std::min<int64_t>(left.count(), kCheckEveryMs));
    int r = ::poll(fds.data(), fds.size(), slice);
    if (r < 0 && errno != EINTR) return sys_error("poll ready pipes");
    for (size_t i = 0; r > 0 && i < fds.size(); ++i) {
      if (fds[i].revents == 0) continue;
      OMX_TRY(read_ready(*owners[i]));
    }
  }
}

}  // namespace omx::cluster
