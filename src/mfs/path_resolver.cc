#include "mfs/path_resolver.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <sstream>

#include "base/log.h"

namespace omx::mfs {
namespace {

int sys_openat2(int dirfd, const char* path, uint64_t flags, uint64_t mode, uint64_t resolve) {
  struct open_how how {};
  how.flags = flags;
  how.mode = mode;
  how.resolve = resolve;
  return static_cast<int>(::syscall(SYS_openat2, dirfd, path, &how, sizeof how));
}

std::string join(const std::vector<std::string>& c, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    if (i) out += '/';
    out += c[i];
  }
  return out.empty() ? "." : out;
}

}  // namespace

MountKind mount_kind_of_fstype(std::string_view t) {
  if (t == "proc" || t == "sysfs" || t == "devtmpfs" || t == "devpts") return MountKind::kHidden;
  if (t == "fuse.omxmfs") return MountKind::kOwnMfs;
  return MountKind::kNormal;
}

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    std::string_view c = path.substr(i, j - i);
    if (!c.empty() && c != ".") out.emplace_back(c);
    i = j + 1;
  }
  return out;
}

bool is_excluded_prefix(const std::vector<std::string>& c) {
  return !c.empty() && (c[0] == "proc" || c[0] == "sys" || c[0] == "dev");
}

bool is_served_type(uint32_t mode) {
  return S_ISREG(mode) || S_ISDIR(mode) || S_ISLNK(mode);
}

Result<PathResolver> PathResolver::open(const std::string& root, bool no_symlinks) {
  int fd = ::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return sys_error("open " + root);
  PathResolver r{ScopedFd(fd)};
  r.resolve_ = no_symlinks ? RESOLVE_NO_SYMLINKS : RESOLVE_NO_MAGICLINKS;
  r.reload_mounts();
  return r;
}

void PathResolver::reload_mounts() {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  mounts_.clear();
  own_mfs_points_.clear();
  while (std::getline(in, line)) {
    // id parent major:minor root mountpoint options [optional fields...] - fstype source ...
    std::istringstream ls(line);
    uint64_t id = 0, parent = 0;
    std::string devno, mroot, point;
    ls >> id >> parent >> devno >> mroot >> point;
    auto dash = line.find(" - ");
    if (!ls || dash == std::string::npos) continue;
    std::istringstream rest(line.substr(dash + 3));
    std::string fstype;
    rest >> fstype;
    mounts_[id] = mount_kind_of_fstype(fstype);
    if (mounts_[id] == MountKind::kOwnMfs) own_mfs_points_.push_back(split_path(point));
  }
}

bool PathResolver::below_own_mfs(const std::vector<std::string>& c) const {
  for (const auto& p : own_mfs_points_)
    if (c.size() > p.size() && std::equal(p.begin(), p.end(), c.begin())) return true;
  return false;
}

MountKind PathResolver::kind_of_mount(uint64_t mnt_id) {
  auto it = mounts_.find(mnt_id);
  if (it == mounts_.end()) {
    reload_mounts();
    it = mounts_.find(mnt_id);
    if (it == mounts_.end()) {
      log::get("mfs")->warn("mount id {} not in mountinfo: treated as hidden", mnt_id);
      return MountKind::kHidden;
    }
  }
  return it->second;
}

MountKind PathResolver::kind_at(int dirfd, const char* name) {
  struct statx st {};
  int flags = AT_SYMLINK_NOFOLLOW | AT_STATX_DONT_SYNC | (*name ? 0 : AT_EMPTY_PATH);
  if (::statx(dirfd, name, flags, STATX_MNT_ID, &st) != 0 || !(st.stx_mask & STATX_MNT_ID))
    return MountKind::kHidden;
  return kind_of_mount(st.stx_mnt_id);
}

int PathResolver::stat_at(int dirfd, const char* name, struct statx& st, bool follow) {
  int base = (follow ? 0 : AT_SYMLINK_NOFOLLOW) | (*name ? 0 : AT_EMPTY_PATH);
  // First without syncing (never a request to a FUSE server), to learn the mount.
  if (::statx(dirfd, name, base | AT_STATX_DONT_SYNC, STATX_BASIC_STATS | STATX_MNT_ID, &st) != 0)
    return errno;
  MountKind k = (st.stx_mask & STATX_MNT_ID) ? kind_of_mount(st.stx_mnt_id) : MountKind::kHidden;
  if (k == MountKind::kHidden) return ENOENT;
  if (k == MountKind::kOwnMfs) return 0;  // cached attributes of our own /mfs: good enough
  if (::statx(dirfd, name, base, STATX_BASIC_STATS | STATX_MNT_ID, &st) != 0) return errno;
  return 0;
}

int PathResolver::locate(std::string_view path, Located& out) {
  std::vector<std::string> c = split_path(path);
  if (is_excluded_prefix(c) || below_own_mfs(c)) return ENOENT;
  out.name = c.empty() ? "" : c.back();
  std::string parent = join(c, c.empty() ? 0 : c.size() - 1);
  int fd = sys_openat2(root_.get(), parent.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC, 0, resolve_);
  if (fd < 0) return errno == ELOOP ? ENOENT : errno;
  out.dir.reset(fd);
  out.own_mfs = false;
  // The parent must be on an ordinary mount: below /proc, /sys, devices or our own /mfs there
  // is nothing to see.
  if (kind_at(fd, "") != MountKind::kNormal) return ENOENT;
  return 0;
}

int PathResolver::locate_existing(std::string_view path, Located& out, struct statx& st) {
  if (int e = locate(path, out)) return e;
  if (int e = stat_at(out.dir.get(), out.name.c_str(), st)) return e;
  if (!is_served_type(st.stx_mode)) return ENOENT;
  out.own_mfs = kind_of_mount(st.stx_mnt_id) == MountKind::kOwnMfs;
  return 0;
}

}  // namespace omx::mfs
