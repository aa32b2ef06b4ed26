#include "cluster/netns.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "base/log.h"

namespace omx::cluster {
namespace {

// `ip netns add` does the same: make /run/netns a shared mount point so that a later umount of
// a namespace file propagates to every mount namespace that has a copy of it.
Status prepare_netns_dir() {
  if (::mkdir("/run", 0755) != 0 && errno != EEXIST) return sys_error("mkdir /run");
  if (::mkdir(kNetnsDir, 0755) != 0 && errno != EEXIST) return sys_error("mkdir /run/netns");
  if (::mount("", kNetnsDir, "none", MS_SHARED | MS_REC, nullptr) == 0) return ok_status();
  if (errno != EINVAL) return sys_error("mount --make-rshared /run/netns");
  // Not a mount point yet: bind it on itself, then make it shared.
  if (::mount(kNetnsDir, kNetnsDir, "none", MS_BIND | MS_REC, nullptr) != 0)
    return sys_error("mount --bind /run/netns /run/netns");
  if (::mount("", kNetnsDir, "none", MS_SHARED | MS_REC, nullptr) != 0)
    return sys_error("mount --make-rshared /run/netns");
  return ok_status();
}

}  // namespace

std::string netns_path(const std::string& name) { return std::string(kNetnsDir) + "/" + name; }

Status create_named_netns(const std::string& name) {
  OMX_TRY(prepare_netns_dir());
  std::string path = netns_path(name);
  ScopedFd file(::open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0));
  if (!file.valid()) return sys_error(fmt::format("create {}", path));
  file.reset();

  ScopedFd original(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!original.valid()) {
    ::unlink(path.c_str());
    return sys_error("open /proc/thread-self/ns/net");
  }
  Status st;
  if (::unshare(CLONE_NEWNET) != 0) {
    st = sys_error("unshare(CLONE_NEWNET)");
  } else {
    if (::mount("/proc/thread-self/ns/net", path.c_str(), "none", MS_BIND, nullptr) != 0)
      st = sys_error(fmt::format("bind the new network namespace on {}", path));
    OMX_CHECK(::setns(original.get(), CLONE_NEWNET) == 0, "cannot return to the original netns");
  }
  if (!st.ok()) ::unlink(path.c_str());
  return st;
}

Status delete_named_netns(const std::string& name) {
  std::string path = netns_path(name);
  if (::umount2(path.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT)
    return sys_error(fmt::format("umount {}", path));
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    return sys_error(fmt::format("unlink {}", path));
  return ok_status();
}

bool named_netns_exists(const std::string& name) {
  struct stat st;
  return ::stat(netns_path(name).c_str(), &st) == 0;
}

Result<ScopedFd> open_named_netns(const std::string& name) {
  std::string path = netns_path(name);
  ScopedFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return sys_error(fmt::format("open network namespace {}", path));
  return fd;
}

Result<uint64_t> ns_inode(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return sys_error(fmt::format("stat {}", path));
  return static_cast<uint64_t>(st.st_ino);
}

Result<NetnsGuard> NetnsGuard::enter(int netns_fd) {
  ScopedFd original(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!original.valid()) return sys_error("open /proc/thread-self/ns/net");
  if (::setns(netns_fd, CLONE_NEWNET) != 0) return sys_error("setns(CLONE_NEWNET)");
  return NetnsGuard(std::move(original));
}

NetnsGuard::~NetnsGuard() {
  if (original_.valid())
    OMX_CHECK(::setns(original_.get(), CLONE_NEWNET) == 0, "cannot return to the original netns");
}

}  // namespace omx::cluster
