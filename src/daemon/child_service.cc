#include "daemon/child_service.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>

#include <fmt/format.h>

#include "base/log.h"

namespace omx::daemon {
namespace {

std::shared_ptr<spdlog::logger> log() { return omx::log::get("omxd"); }

[[noreturn]] void exec_child(const std::vector<std::string>& args, const std::string& logfile,
                             bool keep_cwd) {
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  ::signal(SIGCHLD, SIG_DFL);
  ::signal(SIGPIPE, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::setpriority(PRIO_PROCESS, 0, 0);
  int in = ::open("/dev/null", O_RDONLY);
  if (in >= 0) ::dup2(in, 0);
  if (!logfile.empty()) {
    int out = ::open(logfile.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0640);
    if (out >= 0) ::dup2(out, 1), ::dup2(out, 2);
  }
  ::syscall(SYS_close_range, 3, ~0U, 0);
  if (!keep_cwd && ::chdir("/") != 0) _exit(127);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  ::execvp(argv[0], argv.data());
  _exit(127);
}

}  // namespace

std::string omx_beside_self() {
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "omx";
  std::string self(buf, static_cast<size_t>(n));
  auto slash = self.rfind('/');
  std::string omx = self.substr(0, slash + 1) + "omx";
  return ::access(omx.c_str(), X_OK) == 0 ? omx : "omx";
}

ChildService::ChildService(asio::io_context& io, std::string name, std::string log, bool keep_cwd)
    : io_(io), name_(std::move(name)), log_(std::move(log)), keep_cwd_(keep_cwd), pidfd_(io),
      restart_(io) {}

ChildService::~ChildService() {
  wanted_ = false;
  if (pid_ > 0) ::kill(pid_, SIGTERM);
}

Status ChildService::start(std::vector<std::string> argv) {
  if (argv.empty()) return make_error(ErrorCode::kInvalid, fmt::format("{}: empty command", name_));
  argv_ = std::move(argv);
  wanted_ = true;
  backoff_ = std::chrono::seconds(1);
  return spawn();
}

void ChildService::stop() {
  wanted_ = false;
  restart_.cancel();
  if (pid_ > 0) ::kill(pid_, SIGTERM);
}

nlohmann::json ChildService::status() const {
  return {{"wanted", wanted_}, {"running", pid_ > 0}, {"pid", pid_}, {"restarts", restarts_}};
}

Status ChildService::spawn() {
  pid_t pid = ::fork();
  if (pid < 0) return sys_error(fmt::format("fork {}", name_));
  if (pid == 0) exec_child(argv_, log_, keep_cwd_);
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) {
    ::kill(pid, SIGKILL);
    return sys_error("pidfd_open");
  }
  pid_ = pid;
  started_ = std::chrono::steady_clock::now();
  pidfd_.assign(fd);
  std::string cmd;
  for (const auto& a : argv_) cmd += (cmd.empty() ? "" : " ") + a;
  log()->info("started {} (pid {}): {}", name_, pid, cmd);
  watch();
  return ok_status();
}

void ChildService::watch() {
  pidfd_.async_wait(asio::posix::stream_descriptor::wait_read, [this](asio::error_code ec) {
    if (ec) return;
    on_exit();
  });
}

void ChildService::on_exit() {
  log()->warn("{} (pid {}) exited", name_, pid_);
  pidfd_.close();
  pid_ = 0;
  if (!wanted_) {
    if (on_stopped_) on_stopped_();
    return;
  }
  bool quick = std::chrono::steady_clock::now() - started_ < std::chrono::seconds(5);
  backoff_ = quick ? std::min(backoff_ * 2, std::chrono::seconds(30)) : std::chrono::seconds(1);
  restart_.expires_after(backoff_);
  restart_.async_wait([this](asio::error_code ec) {
    if (ec || !wanted_ || pid_ > 0) return;
    ++restarts_;
    if (auto st = spawn(); !st.ok()) log()->error("restart of {}: {}", name_, st.error().message());
  });
}

}  // namespace omx::daemon
