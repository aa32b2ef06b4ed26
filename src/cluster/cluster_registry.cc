#include "cluster/cluster_registry.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "cluster/cluster_state.h"
#include "cluster/file_util.h"

namespace omx::cluster {
namespace {

Result<ScopedFd> lock_registry(const std::string& dir) {
  if (::geteuid() == 0) OMX_TRY(make_dirs("/run/omx", 0755));
  if (::mkdir(dir.c_str(), 01777) == 0) {
    ::chmod(dir.c_str(), 01777);  // shared by every user's clusters; sticky like /tmp
  } else if (errno != EEXIST) {
    return sys_error(fmt::format("mkdir {}", dir));
  }
  ScopedFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return sys_error(fmt::format("open {}", dir));
  if (::flock(fd.get(), LOCK_EX) != 0) return sys_error(fmt::format("flock {}", dir));
  return fd;
}

// True when the claim file for `index` is absent or stale.
bool claim_is_free(const std::string& entry, int index) {
  auto owner = read_text_file(entry, 4096);
  if (!owner.ok()) return owner.error().code == ErrorCode::kSys && owner.error().err == ENOENT;
  std::string owner_dir = owner->substr(0, owner->find('\n'));
  auto state = load_cluster_state(owner_dir);
  if (state.ok()) return state->index != index || state->dir != owner_dir;
  return state.error().code == ErrorCode::kSys && state.error().err == ENOENT;
}

}  // namespace

std::string registry_dir() {
  return ::geteuid() == 0 ? "/run/omx/clusters" : "/tmp/omx-clusters";
}

Result<Claim> claim_cluster_index(const std::string& cluster_dir,
                                  const std::function<bool(int)>& busy) {
  std::string dir = registry_dir();
  OMX_ASSIGN(ScopedFd lock, lock_registry(dir));
  for (int c = 0; c <= kMaxClusterIndex; ++c) {
    std::string entry = fmt::format("{}/{}", dir, c);
    if (!claim_is_free(entry, c) || busy(c)) continue;
    ::unlink(entry.c_str());  // a stale claim, possibly another user's: the sticky dir allows
                              // only its owner (or root) to remove it; then write fails below
    OMX_TRY(write_file_atomic(entry, cluster_dir + "\n", 0644));
    Claim claim;
    claim.index = c;
    claim.entry = entry;
    claim.lock = std::move(lock);
    return claim;
  }
  return make_error(ErrorCode::kRefused,
                    fmt::format("all {} local cluster indexes are in use (see {})",
                                kMaxClusterIndex + 1, dir));
}

int find_cluster_claim(const std::string& cluster_dir, std::string& entry) {
  std::string dir = registry_dir();
  for (int c = 0; c <= kMaxClusterIndex; ++c) {
    std::string e = fmt::format("{}/{}", dir, c);
    auto owner = read_text_file(e, 4096);
    if (owner.ok() && *owner == cluster_dir + "\n") {
      entry = e;
      return c;
    }
  }
  return -1;
}

void release_cluster_index(const std::string& entry, const std::string& cluster_dir) {
  if (entry.empty()) return;
  auto lock = lock_registry(registry_dir());
  auto owner = read_text_file(entry, 4096);
  if (owner.ok() && *owner == cluster_dir + "\n") ::unlink(entry.c_str());
}

}  // namespace omx::cluster
