// ChildService: a helper program omxd runs as a child and keeps running: started with an argv,
// restarted 1 s after it exits while wanted (one that keeps dying within 5 s waits twice as long
// each time, up to 30 s), stopped with SIGTERM (and by the kernel with omxd: PR_SET_PDEATHSIG).
// The child gets stdin /dev/null, stdout/stderr appended to its log file (or omxd's stderr),
// default signal dispositions and mask, nice 0, no other fds, and cwd "/" unless told to keep
// omxd's. Used for the /mfs client (mfs_child.h) and the web dashboard (omxd --http).
//
// omxd ignores SIGCHLD (children are reaped by the kernel), so the child's exit is watched with a
// pidfd on omxd's event loop.
//
// Threading: omxd's event loop only; fork happens there (omxd is single-threaded).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include <asio.hpp>
#include <nlohmann/json.hpp>

#include "base/result.h"

namespace omx::daemon {

class ChildService {
 public:
  // name: for logs ("omx mfs serve"); log: the child's log file ("" = omxd's stderr).
  ChildService(asio::io_context& io, std::string name, std::string log, bool keep_cwd = false);
  ~ChildService();
  ChildService(const ChildService&) = delete;
  ChildService& operator=(const ChildService&) = delete;

  // Starts argv (argv[0] a path or a name on $PATH) and keeps it running.
  Status start(std::vector<std::string> argv);
  void stop();
  // Called when the child exited and is not wanted any more (after stop()).
  void on_stopped(std::function<void()> fn) { on_stopped_ = std::move(fn); }

  bool wanted() const { return wanted_; }
  // {"wanted","running","pid","restarts"}
  nlohmann::json status() const;

 private:
  Status spawn();
  void watch();
  void on_exit();

  asio::io_context& io_;
  std::string name_, log_;
  bool keep_cwd_;
  std::vector<std::string> argv_;
  asio::posix::stream_descriptor pidfd_;
  asio::steady_timer restart_;
  std::function<void()> on_stopped_;
  bool wanted_ = false;
  pid_t pid_ = 0;
  int restarts_ = 0;
  std::chrono::steady_clock::time_point started_;
  std::chrono::seconds backoff_{1};
};

// The omx binary beside the running executable (/proc/self/exe), else "omx" (on $PATH).
std::string omx_beside_self();

}  // namespace omx::daemon
