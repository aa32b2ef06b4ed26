// MfsChild: omxd's /mfs FUSE client, `omx mfs serve --mount PATH --control ADDR`, run as a child
// of omxd in omxd's mount namespace (docs/mfs-dfsa-design.md §1.2, §1.8). Started by omxd
// --mfs-mount PATH or op mfs mount; restarted 1 s after it exits while wanted (a client that
// keeps dying within 5 s waits up to 30 s); stopped by op mfs umount or with omxd (SIGTERM;
// the child also has PR_SET_PDEATHSIG). The child writes to DIR/mfs.log (omxd's state dir) or
// inherits omxd's stderr.
//
//   {"op":"mfs","action":"mount","mount":PATH}  -> {"ok":true}   (root)
//   {"op":"mfs","action":"umount"}              -> {"ok":true}   (root)
//   {"op":"mfs","action":"status"}              -> {"ok":true,"wanted":B,"running":B,
//                                                   "pid":P,"mount":PATH,"restarts":N}
//
// omxd ignores SIGCHLD (children are reaped by the kernel), so the child's exit is watched with
// a pidfd on omxd's event loop.
//
// Threading: omxd's event loop only; fork happens there (omxd is single-threaded).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>

#include <asio.hpp>

#include "base/result.h"
#include "daemon/control_server.h"

namespace omx::daemon {

class MfsChild {
 public:
  // omx: the omx binary; control: omxd's control address; log: the child's log file ("" none).
  MfsChild(asio::io_context& io, std::string omx, std::string control, std::string log);
  ~MfsChild();
  void add_ops(ControlServer& server);

  Status start(const std::string& mount);
  void stop();
  nlohmann::json status() const;
  // Where /mfs is served ("" when it is not wanted): DFSA's offers carry it (op "dfsa").
  std::string mount() const { return wanted_ ? mount_ : std::string(); }

 private:
  Status spawn();
  void watch();
  void on_exit();

  asio::io_context& io_;
  std::string omx_, control_, log_, mount_;
  asio::posix::stream_descriptor pidfd_;
  asio::steady_timer restart_;
  bool wanted_ = false;
  pid_t pid_ = 0;
  int restarts_ = 0;
  std::chrono::steady_clock::time_point started_;
  std::chrono::seconds backoff_{1};
};

// The omx binary beside the running executable (/proc/self/exe), else "omx" (on $PATH).
std::string omx_beside_self();

}  // namespace omx::daemon
