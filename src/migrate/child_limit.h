// ChildLimit: the forked children of one omxd service (guest supervisors, channel brokers),
// counted so that a flood of connections cannot fork without bound. omxd ignores SIGCHLD, so the
// kernel reaps the children; reap() forgets those that are gone.
//
// Threading: used on omxd's event-loop thread only.
#pragma once

#include <sys/types.h>
#include <sys/wait.h>

#include <cerrno>
#include <set>

namespace omx::migrate {

class ChildLimit {
 public:
  explicit ChildLimit(size_t max) : max_(max) {}
  // Forgets finished children, then says whether another may be started.
  bool full() {
    reap();
    return children_.size() >= max_;
  }
  void add(pid_t pid) { children_.insert(pid); }
  size_t size() const { return children_.size(); }
  const std::set<pid_t>& pids() const { return children_; }
  size_t reap() {
    size_t n = 0;
    for (auto it = children_.begin(); it != children_.end();) {
      pid_t r = ::waitpid(*it, nullptr, WNOHANG);
      if (r == *it || (r < 0 && errno == ECHILD)) {  // ECHILD: reaped by the kernel already
        it = children_.erase(it);
        ++n;
      } else {
        ++it;
      }
    }
    return n;
  }

 private:
  size_t max_;
  std::set<pid_t> children_;
};

}  // namespace omx::migrate
