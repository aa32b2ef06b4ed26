#include "relay/run_as.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <optional>

#include <fmt/format.h>

#include "base/log.h"
#include "base/scoped_fd.h"

namespace omx::relay {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// After the program exited, how long its output pipes may stay open (a background process it
// left holds them) before run_as stops reading; after the kill at the timeout, how long to wait
// for the process to be gone (it may sit in an uninterruptible sleep).
constexpr milliseconds kDrainGrace{200};
constexpr milliseconds kKillGrace{2000};

auto log() { return log::get("relay"); }

std::mutex g_omx_mu;
std::string g_omx_binary;  // set_omx_binary; empty: search

bool executable(const std::string& p) {
  struct stat st{};
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
}

Result<std::string> first_executable(std::string_view name, std::initializer_list<const char*> paths) {
  for (const char* p : paths)
    if (executable(p)) return std::string(p);
  return sys_error(fmt::format("'{}' is not installed here", name), 0, ENOENT);
}

std::string allowed_list() {
  std::string subs;
  for (auto s : kOmxSubcommands) subs += (subs.empty() ? "" : "|") + std::string(s);
  return fmt::format("omx {}, kill, renice", subs);
}

// What the child needs, prepared before fork: after fork only async-signal-safe calls.
struct Prepared {
  std::string path;
  std::vector<std::string> argv_store, env_store;
  std::vector<char*> argv, envp;
  std::vector<gid_t> groups;
  uid_t uid;
  gid_t gid;
  pid_t parent;
};

// The user's groups as initgroups would set them, and the environment for the program.
Status prepare_identity(const RunAs& as, Prepared& p) {
  std::vector<char> buf(16384);
  passwd pw{}, *found = nullptr;
  int rc = ::getpwuid_r(as.uid, &pw, buf.data(), buf.size(), &found);
  if (rc == ERANGE) {
    buf.resize(1 << 20);
    rc = ::getpwuid_r(as.uid, &pw, buf.data(), buf.size(), &found);
  }
  std::string home = "/";
  p.groups = {as.gid};
  if (found) {
    int n = 64;
    std::vector<gid_t> g(static_cast<size_t>(n));
    if (::getgrouplist(pw.pw_name, as.gid, g.data(), &n) < 0) {
      g.resize(static_cast<size_t>(n));
      if (::getgrouplist(pw.pw_name, as.gid, g.data(), &n) < 0)
        return make_error(ErrorCode::kSys, fmt::format("getgrouplist({})", pw.pw_name));
    }
    g.resize(static_cast<size_t>(n));
    p.groups = std::move(g);
    if (pw.pw_dir && *pw.pw_dir) home = pw.pw_dir;
    p.env_store.push_back(fmt::format("USER={}", pw.pw_name));
    p.env_store.push_back(fmt::format("LOGNAME={}", pw.pw_name));
  }
  p.env_store.push_back("HOME=" + home);
  p.env_store.push_back("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  for (const char* keep : {"OMX_CONTROL", "OMX_LOG"})
    if (const char* v = std::getenv(keep)) p.env_store.push_back(fmt::format("{}={}", keep, v));
  return ok_status();
}

// Stages of the child's set-up, reported through the error pipe when one fails.
enum class Stage : int { kFds = 1, kGroups, kGid, kUid, kVerify, kExec };

const char* stage_name(Stage s) {
  switch (s) {
    case Stage::kFds: return "child fd set-up";
    case Stage::kGroups: return "setgroups";
    case Stage::kGid: return "setresgid";
    case Stage::kUid: return "setresuid";
    case Stage::kVerify: return "credential check after the drop";
    case Stage::kExec: return "exec";
  }
  return "child";
}

[[noreturn]] void child_fail(int errp, Stage s, int err) {
  int msg[2] = {static_cast<int>(s), err};
  [[maybe_unused]] auto n = ::write(errp, msg, sizeof msg);
  _exit(127);
}

// Between fork and exec: async-signal-safe calls only; raw syscalls for the credentials (one
// thread here, so glibc's all-threads setxid machinery is neither needed nor safe to rely on).
[[noreturn]] void child_main(const Prepared& p, int out_w, int err_w, int errp_w) {
  struct sigaction dfl{};
  dfl.sa_handler = SIG_DFL;
  for (int s = 1; s < NSIG; ++s) ::sigaction(s, &dfl, nullptr);  // SIGKILL/STOP: EINVAL, fine
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::setpgid(0, 0);
  // Lift the pipe ends above 2 first: the caller may have had 0-2 closed, and then a pipe end
  // would be one of them and be clobbered by the dup2s below.
  int errp = ::fcntl(errp_w, F_DUPFD_CLOEXEC, 3);
  if (errp < 0) _exit(127);
  int o = ::fcntl(out_w, F_DUPFD, 3), e = ::fcntl(err_w, F_DUPFD, 3);
  int null = ::open("/dev/null", O_RDONLY);
  if (o < 0 || e < 0 || null < 0 || ::dup2(null, 0) < 0 || ::dup2(o, 1) < 0 || ::dup2(e, 2) < 0)
    child_fail(errp, Stage::kFds, errno);
  if (errp > 3) ::close_range(3, static_cast<unsigned>(errp - 1), 0);
  ::close_range(static_cast<unsigned>(errp + 1), ~0u, 0);
  if (::chdir("/") != 0) child_fail(errp, Stage::kFds, errno);
  ::umask(022);
  if (::syscall(SYS_setgroups, p.groups.size(), p.groups.data()) != 0)
    child_fail(errp, Stage::kGroups, errno);
  if (::syscall(SYS_setresgid, p.gid, p.gid, p.gid) != 0) child_fail(errp, Stage::kGid, errno);
  if (::syscall(SYS_setresuid, p.uid, p.uid, p.uid) != 0) child_fail(errp, Stage::kUid, errno);
  uid_t ru, eu, su;
  gid_t rg, eg, sg;
  if (::getresuid(&ru, &eu, &su) != 0 || ru != p.uid || eu != p.uid || su != p.uid ||
      ::getresgid(&rg, &eg, &sg) != 0 || rg != p.gid || eg != p.gid || sg != p.gid ||
      (p.uid != 0 && ::syscall(SYS_setresuid, 0, 0, 0) == 0))
    child_fail(errp, Stage::kVerify, EPERM);
  // Dies with the caller (set after the credential change, which clears it). If the caller is
  // already gone, nobody would bound or read this run.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  if (::getppid() != p.parent) _exit(127);
  ::execve(p.path.c_str(), p.argv.data(), p.envp.data());
  child_fail(errp, Stage::kExec, errno);
}

struct Stream {
  ScopedFd fd;
  std::string* buf;
  bool* truncated;
};

// Reads what is there; returns false at EOF or error (the stream is then closed).
bool pump(Stream& s, size_t max_output) {
  char chunk[65536];
  ssize_t n = ::read(s.fd.get(), chunk, sizeof chunk);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
  if (n <= 0) {
    s.fd.reset();
    return false;
  }
  size_t room = max_output - std::min(max_output, s.buf->size());
  size_t take = std::min(room, static_cast<size_t>(n));
  s.buf->append(chunk, take);
  if (take < static_cast<size_t>(n)) *s.truncated = true;
  return true;
}

Status open_pipe(ScopedFd& r, ScopedFd& w) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return sys_error("pipe2");
  ::fcntl(fds[0], F_SETFL, O_NONBLOCK);  // our end; the program's end stays blocking
  r.reset(fds[0]);
  w.reset(fds[1]);
  return ok_status();
}

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return -WTERMSIG(status);
  return -1;
}

}  // namespace

void set_omx_binary(std::string path) {
  std::lock_guard lock(g_omx_mu);
  g_omx_binary = std::move(path);
}

Result<std::string> omx_binary() {
  {
    std::lock_guard lock(g_omx_mu);
    if (!g_omx_binary.empty()) {
      if (executable(g_omx_binary)) return g_omx_binary;
      return sys_error(fmt::format("omx binary {}", g_omx_binary), 0, ENOENT);
    }
  }
  std::vector<std::string> candidates;
  char self[4096];
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    std::string dir(self, static_cast<size_t>(n));
    dir.erase(dir.rfind('/') == std::string::npos ? 0 : dir.rfind('/'));
    candidates.push_back(dir + "/omx");
    candidates.push_back(dir + "/../bin/omx");
  }
  candidates.push_back("/usr/bin/omx");
  candidates.push_back("/usr/local/bin/omx");
  for (const auto& c : candidates)
    if (executable(c)) return c;
  return sys_error("the omx binary (not beside this program nor in /usr/bin)", 0, ENOENT);
}

Result<std::string> resolve_command(const std::vector<std::string>& argv) {
  if (argv.empty()) return make_error(ErrorCode::kInvalid, "no command given");
  for (const auto& a : argv)
    if (a.find('\0') != std::string::npos)
      return make_error(ErrorCode::kInvalid, "an argument contains a NUL byte");
  const std::string& prog = argv[0];
  if (prog == "omx") {
    if (argv.size() < 2 || std::find(kOmxSubcommands.begin(), kOmxSubcommands.end(), argv[1]) ==
                               kOmxSubcommands.end())
      return make_error(ErrorCode::kRefused,
                        fmt::format("'omx{}{}' may not be run this way (allowed: {})",
                                    argv.size() < 2 ? "" : " ", argv.size() < 2 ? "" : argv[1],
                                    allowed_list()));
    return omx_binary();
  }
  if (prog == "kill") return first_executable(prog, {"/bin/kill", "/usr/bin/kill"});
  if (prog == "renice") return first_executable(prog, {"/usr/bin/renice", "/bin/renice"});
  return make_error(ErrorCode::kRefused,
                    fmt::format("'{}' may not be run this way (allowed: {})", prog, allowed_list()));
}

Result<RunResult> run_as(const RunAs& as, const std::vector<std::string>& argv,
                         std::chrono::milliseconds timeout, size_t max_output) {
  const auto deadline = Clock::now() + timeout;
  struct sigaction chld{};
  ::sigaction(SIGCHLD, nullptr, &chld);
  if (chld.sa_handler == SIG_IGN || (chld.sa_flags & SA_NOCLDWAIT))
    return make_error(ErrorCode::kInvalid, "run_as: SIGCHLD is ignored in this process");
  Prepared p;
  OMX_ASSIGN(p.path, resolve_command(argv));
  OMX_TRY(prepare_identity(as, p));
  p.uid = as.uid;
  p.gid = as.gid;
  p.parent = ::getpid();
  p.argv_store = argv;
  for (auto& a : p.argv_store) p.argv.push_back(a.data());
  p.argv.push_back(nullptr);
  for (auto& e : p.env_store) p.envp.push_back(e.data());
  p.envp.push_back(nullptr);

  ScopedFd out_r, out_w, err_r, err_w, errp_r, errp_w;
  OMX_TRY(open_pipe(out_r, out_w));
  OMX_TRY(open_pipe(err_r, err_w));
  OMX_TRY(open_pipe(errp_r, errp_w));
  pid_t pid = ::fork();
  if (pid < 0) return sys_error("fork");
  if (pid == 0) child_main(p, out_w.get(), err_w.get(), errp_w.get());
  ::setpgid(pid, pid);  // also here: the timeout's kill must not miss a child not yet in its group
  out_w.reset();
  err_w.reset();
  errp_w.reset();
  ScopedFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));

  RunResult res;
  Stream streams[2] = {{std::move(out_r), &res.out, &res.out_truncated},
                       {std::move(err_r), &res.err, &res.err_truncated}};
  int child_err[2] = {0, 0};
  size_t child_err_len = 0;
  bool exited = false, killed = false;
  int status = 0;
  std::optional<Clock::time_point> stop_reading;  // once exited (or killed): stop at this time
  for (;;) {
    auto now = Clock::now();
    if (!exited && ::waitpid(pid, &status, WNOHANG) == pid) exited = true;
    if (!exited && !killed && now >= deadline) {
      ::kill(-pid, SIGKILL);
      ::kill(pid, SIGKILL);
      killed = res.timed_out = true;
      stop_reading = now + kKillGrace;
    }
    if (exited && !stop_reading) stop_reading = now + kDrainGrace;
    bool open = streams[0].fd.valid() || streams[1].fd.valid() || errp_r.valid();
    if (exited && !open) break;
    if (stop_reading && now >= *stop_reading) break;
    auto until = stop_reading ? *stop_reading : deadline;
    int wait_ms = static_cast<int>(std::max<int64_t>(
        0, std::chrono::duration_cast<milliseconds>(until - now).count() + 1));
    if (!pidfd.valid()) wait_ms = std::min(wait_ms, 20);  // no pidfd (old kernel): poll waitpid
    pollfd pf[4];
    nfds_t n = 0;
    for (auto& s : streams)
      if (s.fd.valid()) pf[n++] = {s.fd.get(), POLLIN, 0};
    if (errp_r.valid()) pf[n++] = {errp_r.get(), POLLIN, 0};
    if (!exited && pidfd.valid()) pf[n++] = {pidfd.get(), POLLIN, 0};
    if (::poll(pf, n, wait_ms) < 0 && errno != EINTR) return sys_error("poll");
    for (auto& s : streams)
      if (s.fd.valid()) pump(s, max_output);
    if (errp_r.valid()) {
      ssize_t r = ::read(errp_r.get(), reinterpret_cast<char*>(child_err) + child_err_len,
                         sizeof child_err - child_err_len);
      if (r > 0) child_err_len += static_cast<size_t>(r);
      if (r == 0 || child_err_len == sizeof child_err) errp_r.reset();
    }
  }
  if (!exited) {  // waited kKillGrace after SIGKILL: leave the zombie rather than block
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      exited = true;
    } else {
      log()->warn("run_as: pid {} did not die within {} ms of SIGKILL", pid, kKillGrace.count());
      status = SIGKILL;  // reads as killed by SIGKILL
    }
  }
  if (child_err_len == sizeof child_err) {
    auto stage = static_cast<Stage>(child_err[0]);
    return sys_error(fmt::format("{} ({} as uid {} gid {})", stage_name(stage), p.path, as.uid,
                                 as.gid),
                     pid, child_err[1]);
  }
  res.exit_code = decode_status(status);
  return res;
}

}  // namespace omx::relay
