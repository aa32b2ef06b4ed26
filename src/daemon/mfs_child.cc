#include "daemon/mfs_child.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <vector>

#include <fmt/format.h>

#include "base/log.h"
#include "daemon/control_protocol.h"

namespace omx::daemon {
namespace {

std::shared_ptr<spdlog::logger> log() { return omx::log::get("mfs"); }

[[noreturn]] void exec_child(const std::vector<std::string>& args, const std::string& logfile) {
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
  if (::chdir("/") != 0) _exit(127);
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

MfsChild::MfsChild(asio::io_context& io, std::string omx, std::string control, std::string log)
    : io_(io), omx_(std::move(omx)), control_(std::move(control)), log_(std::move(log)),
      pidfd_(io), restart_(io) {}

MfsChild::~MfsChild() {
  wanted_ = false;
  if (pid_ > 0) ::kill(pid_, SIGTERM);
}

void MfsChild::add_ops(ControlServer& server) {
  server.add_op("mfs", [this](const ControlRequest& r) {
    std::string action = r.body.value("action", "status");
    if (action == "status") return ok_reply(status());
    if (r.caller.uid != 0) return error_reply("only root may mount or unmount /mfs");
    if (action == "umount") {
      stop();
      return ok_reply();
    }
    if (action != "mount") return error_reply("mfs: action must be mount, umount or status");
    if (wanted_) return error_reply(fmt::format("/mfs is already served at {}", mount_));
    auto st = start(r.body.value("mount", std::string("/mfs")));
    return st.ok() ? ok_reply() : error_reply(st.error().message());
  });
}

Status MfsChild::start(const std::string& mount) {
  if (mount.empty() || mount[0] != '/') return make_error(ErrorCode::kInvalid, "mfs mount point must be absolute");
  mount_ = mount;
  wanted_ = true;
  backoff_ = std::chrono::seconds(1);
  return spawn();
}

void MfsChild::stop() {
  wanted_ = false;
  restart_.cancel();
  if (pid_ > 0) ::kill(pid_, SIGTERM);
}

nlohmann::json MfsChild::status() const {
  return {{"wanted", wanted_}, {"running", pid_ > 0}, {"pid", pid_}, {"mount", mount_},
          {"restarts", restarts_}};
}

Status MfsChild::spawn() {
  std::vector<std::string> args = {omx_, "mfs", "serve", "--mount", mount_, "--control", control_};
  pid_t pid = ::fork();
  if (pid < 0) return sys_error("fork omx mfs serve");
  if (pid == 0) exec_child(args, log_);
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) {
    ::kill(pid, SIGKILL);
    return sys_error("pidfd_open");
  }
  pid_ = pid;
  started_ = std::chrono::steady_clock::now();
  pidfd_.assign(fd);
  log()->info("started omx mfs serve --mount {} (pid {})", mount_, pid);
  watch();
  return ok_status();
}

void MfsChild::watch() {
  pidfd_.async_wait(asio::posix::stream_descriptor::wait_read, [this](asio::error_code ec) {
    if (ec) return;
    on_exit();
  });
}

void MfsChild::on_exit() {
  log()->warn("omx mfs serve (pid {}) exited", pid_);
  pidfd_.close();
  pid_ = 0;
  if (!wanted_) {
    ::umount2(mount_.c_str(), MNT_DETACH);  // in case it died before unmounting
    return;
  }
  bool quick = std::chrono::steady_clock::now() - started_ < std::chrono::seconds(5);
  backoff_ = quick ? std::min(backoff_ * 2, std::chrono::seconds(30)) : std::chrono::seconds(1);
  restart_.expires_after(backoff_);
  restart_.async_wait([this](asio::error_code ec) {
    if (ec || !wanted_ || pid_ > 0) return;
    ++restarts_;
    if (auto st = spawn(); !st.ok()) log()->error("restart of /mfs client: {}", st.error().message());
  });
}

}  // namespace omx::daemon
