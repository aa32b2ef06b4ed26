// Named network namespaces, compatible with iproute2's `ip netns`: a namespace named NAME is kept
// alive by a bind mount of its nsfs file on /run/netns/NAME, so `ip netns list` shows it and
// `ip netns exec NAME ...` works on the namespaces the harness makes.
//
// Kernel notes: /run/netns is made a shared mount (bind-mounted on itself first if it is not a
// mount point), as `ip` does, so that removing a namespace's bind mount propagates into mount
// namespaces copied while it existed and does not keep the namespace alive there.
//
// setns(CLONE_NEWNET) changes only the calling thread: these helpers are meant for the
// single-threaded `omx cluster` command. NetnsGuard restores the previous namespace.
#pragma once

#include <cstdint>
#include <string>

#include "base/result.h"
#include "base/scoped_fd.h"

namespace omx::cluster {

inline constexpr const char kNetnsDir[] = "/run/netns";

std::string netns_path(const std::string& name);

// Like `ip netns add NAME`; fails with EEXIST if it exists.
Status create_named_netns(const std::string& name);

// Like `ip netns delete NAME`; a namespace that does not exist is not an error.
Status delete_named_netns(const std::string& name);

bool named_netns_exists(const std::string& name);

Result<ScopedFd> open_named_netns(const std::string& name);

// The nsfs inode of a namespace file (/run/netns/NAME or /proc/PID/ns/X): what
// /proc/PID/ns/X links to as "net:[INODE]".
Result<uint64_t> ns_inode(const std::string& path);

// Moves the calling thread into the network namespace `fd` until destroyed.
class NetnsGuard {
 public:
  static Result<NetnsGuard> enter(int netns_fd);
  NetnsGuard(NetnsGuard&&) = default;
  NetnsGuard& operator=(NetnsGuard&&) = delete;
  ~NetnsGuard();

 private:
  explicit NetnsGuard(ScopedFd original) : original_(std::move(original)) {}
  ScopedFd original_;
};

}  // namespace omx::cluster
