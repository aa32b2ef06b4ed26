// PathResolver: how the MFS server turns a request's path into something to act on, and what it
// refuses (docs/mfs-dfsa-design.md §1.5). Every lookup is relative to an O_PATH fd of the served
// root and goes through openat2(RESOLVE_NO_MAGICLINKS): /proc/PID/fd-style links never resolve.
//
// Refused with ENOENT ("not there", as oMFS did):
//   * lexical prefixes /proc, /sys, /dev (after collapsing "//" and "." components);
//   * anything whose parent or itself lies on a proc, sysfs, devtmpfs or devpts mount (a bind
//     mount elsewhere), told by the mount's filesystem type (mount id from statx STATX_MNT_ID,
//     type from /proc/self/mountinfo, re-read when an unknown mount id shows up);
//   * block/char devices, sockets and FIFOs.
// Anything on a fuse.omxmfs mount (this node's own /mfs) shows as an empty directory: its mount
// point stats and lists (empty), everything below is ENOENT, so /mfs/1/mfs/2/... cannot recurse
// and the server never waits on its own node's FUSE client (statx with AT_STATX_DONT_SYNC).
//
// Threading: one per server process, single-threaded.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/scoped_fd.h"

namespace omx::mfs {

// The filesystem kind of a mount, as far as the server cares.
enum class MountKind : uint8_t { kNormal, kHidden /* proc, sysfs, devtmpfs, devpts */, kOwnMfs };

// "proc" -> kHidden, "fuse.omxmfs" -> kOwnMfs, others kNormal (mountinfo field 9).
MountKind mount_kind_of_fstype(std::string_view fstype);
// Lexically: "//a/./b/" -> {"a","b"}. The path was checked by check_path (no "..").
std::vector<std::string> split_path(std::string_view path);
// First component proc, sys or dev.
bool is_excluded_prefix(const std::vector<std::string>& components);
// Regular file, directory or symlink.
bool is_served_type(uint32_t mode);

// A resolved parent directory and the last component ("" for the root itself: act on `dir`
// with AT_EMPTY_PATH).
struct Located {
  ScopedFd dir;       // O_PATH | O_DIRECTORY
  std::string name;   // "" = the directory itself
  bool own_mfs = false;  // the object itself is the mount point of a fuse.omxmfs mount
};

class PathResolver {
 public:
  // Opens `root` (O_PATH | O_DIRECTORY). Errors: errno of the open. `no_symlinks`: the walk to a
  // parent refuses every symlink (RESOLVE_NO_SYMLINKS, locate() then says ENOENT), for DFSA's
  // check that a local path resolves here as it would through /mfs (migrate/guest_dfsa.h).
  static Result<PathResolver> open(const std::string& root, bool no_symlinks = false);

  // The parent of `path` opened, with exclusions applied to the path and parent. Returns 0 or
  // a positive errno (ENOENT for every exclusion).
  int locate(std::string_view path, Located& out);
  // locate() and also checks the object exists and is served (type, mount): fills `st` (statx
  // without following a final symlink). ENOENT for excluded objects.
  int locate_existing(std::string_view path, Located& out, struct statx& st);
  // The mount kind of an open fd, or of name under dir (no final symlink followed).
  MountKind kind_at(int dirfd, const char* name);
  // Fills `st` for name under dir (AT_SYMLINK_NOFOLLOW | AT_STATX_DONT_SYNC on own-mfs mounts
  // and on everything, to never call into our FUSE client). 0 or errno.
  int stat_at(int dirfd, const char* name, struct statx& st, bool follow = false);
  MountKind kind_of_mount(uint64_t mnt_id);

  int root_fd() const { return root_.get(); }

 private:
  explicit PathResolver(ScopedFd root) : root_(std::move(root)) {}
  void reload_mounts();
  // Lexically below a fuse.omxmfs mount point (the served root must be "/" for this to mean
  // anything): never walked into, so no lookup reaches our own FUSE client.
  bool below_own_mfs(const std::vector<std::string>& components) const;

  ScopedFd root_;
  uint64_t resolve_ = 0;  // openat2 RESOLVE_* flags of every walk
  std::map<uint64_t, MountKind> mounts_;
  std::vector<std::vector<std::string>> own_mfs_points_;
};

}  // namespace omx::mfs
