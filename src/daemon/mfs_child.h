// MfsChild: omxd's /mfs FUSE client, `omx mfs serve --mount PATH --control ADDR`, run as a child
// of omxd in omxd's mount namespace (docs/mfs-dfsa-design.md §1.2, §1.8). Started by omxd
// --mfs-mount PATH or op mfs mount; restarted 1 s after it exits while wanted (a client that
// keeps dying within 5 s waits up to 30 s); stopped by op mfs umount or with omxd (SIGTERM;
// the child also has PR_SET_PDEATHSIG). The child writes to DIR/mfs.log (omxd's state dir) or
// inherits omxd's stderr. Starting, watching and restarting is ChildService's (child_service.h).
//
//   {"op":"mfs","action":"mount","mount":PATH}  -> {"ok":true}   (root)
//   {"op":"mfs","action":"umount"}              -> {"ok":true}   (root)
//   {"op":"mfs","action":"status"}              -> {"ok":true,"wanted":B,"running":B,
//                                                   "pid":P,"mount":PATH,"restarts":N}
//
// Threading: omxd's event loop only; fork happens there (omxd is single-threaded).
#pragma once

#include <string>

#include <asio.hpp>

#include "base/result.h"
#include "daemon/child_service.h"
#include "daemon/control_server.h"

namespace omx::daemon {

class MfsChild {
 public:
  // omx: the omx binary; control: omxd's control address; log: the child's log file ("" none).
  MfsChild(asio::io_context& io, std::string omx, std::string control, std::string log);
  void add_ops(ControlServer& server);

  Status start(const std::string& mount);
  void stop();
  nlohmann::json status() const;

 private:
  std::string omx_, control_, mount_;
  ChildService child_;
};

}  // namespace omx::daemon
