#include "migrate/dfsa_paths.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <algorithm>

#include <fmt/format.h>

#include "mfs/path_resolver.h"
#include "syscall/syscall_table.h"

namespace omx::migrate {

std::optional<std::string> normalize_path(std::string_view path) {
  if (path.empty() || path[0] != '/') return std::nullopt;
  std::string out;
  size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    std::string_view comp = path.substr(i, j - i);
    i = j;
    if (comp.empty() || comp == ".") continue;
    if (comp == "..") return std::nullopt;
    out += '/';
    out += comp;
  }
  if (out.empty()) out.assign(1, '/');
  return out;
}

bool path_under(std::string_view path, const std::vector<std::string>& dirs) {
  auto norm = normalize_path(path);
  if (!norm) return false;
  for (const std::string& d : dirs) {
    if (d == "/") return true;
    if (norm->size() < d.size() || norm->compare(0, d.size(), d) != 0) continue;
    if (norm->size() == d.size() || (*norm)[d.size()] == '/') return true;
  }
  return false;
}

std::vector<std::string> clean_dirs(const std::vector<std::string>& dirs) {
  std::vector<std::string> out;
  for (const std::string& d : dirs) {
    auto n = normalize_path(d);
    if (n && std::find(out.begin(), out.end(), *n) == out.end()) out.push_back(*n);
  }
  return out;
}

std::vector<std::string> split_dir_list(std::string_view list) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= list.size()) {
    size_t j = list.find(':', i);
    if (j == std::string_view::npos) j = list.size();
    if (j > i) out.emplace_back(list.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

std::vector<std::string> effective_dirs(const std::vector<std::string>& home,
                                        const std::vector<std::string>& here) {
  std::vector<std::string> h = clean_dirs(here), out;
  for (const std::string& d : clean_dirs(home))
    if (std::find(h.begin(), h.end(), d) != h.end()) out.push_back(d);
  return out;
}

std::optional<size_t> mfs_local_offset(std::string_view path, std::string_view mount, uint32_t here) {
  auto norm_mount = normalize_path(mount);
  if (!norm_mount || *norm_mount == "/" || !normalize_path(path)) return std::nullopt;
  std::vector<std::string> want = mfs::split_path(*norm_mount);
  want.push_back(std::to_string(here));
  // Walk the raw string component by component ("//" and "." skipped, as the kernel does).
  size_t i = 0, matched = 0;
  while (matched < want.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    if (i >= path.size()) return std::nullopt;
    size_t j = std::min(path.find('/', i), path.size());
    std::string_view comp = path.substr(i, j - i);
    i = j;
    if (comp == ".") continue;
    bool node_comp = matched + 1 == want.size();
    if (comp != want[matched] && !(node_comp && comp == "here")) return std::nullopt;
    ++matched;
  }
  if (i >= path.size()) return std::nullopt;  // "/mfs/2" itself: no "/" to point at
  std::string_view x = path.substr(i);
  std::vector<std::string> c = mfs::split_path(x);
  if (mfs::is_excluded_prefix(c) || path_under(x, {*norm_mount})) return std::nullopt;
  return i;
}

std::string promotion_refusal(const FdInfo& info, const std::vector<std::string>& dirs, bool mfs_here) {
  if (info.err != 0) return fmt::format("not open at home (errno {})", info.err);
  if (!S_ISREG(info.mode)) return "not a regular file";
  if (!mfs_here && !path_under(info.path, dirs)) return fmt::format("{} is not under a shared directory", info.path);
  if (info.shared) return "its open file description is shared";
  if (info.locked) return "it holds a lock";
  if (info.flags & O_PATH) return "an O_PATH descriptor";
  return "";
}

uint32_t reopen_flags(uint32_t f) {
  constexpr uint32_t kKeep = O_ACCMODE | O_APPEND | O_NONBLOCK | O_DSYNC | O_SYNC | O_DIRECT |
                             O_NOATIME | O_LARGEFILE | O_CLOEXEC;
  return f & kKeep;
}

FdCall classify_fd_call(int64_t nr, const uint64_t args[6], bool empty_path) {
  switch (nr) {
    case SYS_read: case SYS_write: case SYS_pread64: case SYS_pwrite64:
    case SYS_readv: case SYS_writev: case SYS_preadv: case SYS_pwritev:
    case SYS_preadv2: case SYS_pwritev2: case SYS_lseek: case SYS_fstat:
    case SYS_fsync: case SYS_fdatasync: case SYS_fadvise64: case SYS_readahead:
    case SYS_fstatfs: case SYS_ftruncate: case SYS_fallocate:
      return FdCall::kData;
    case SYS_newfstatat:
      return empty_path && (args[3] & AT_EMPTY_PATH) ? FdCall::kData : FdCall::kOther;
    case SYS_statx:
      return empty_path && (args[2] & AT_EMPTY_PATH) ? FdCall::kData : FdCall::kOther;
    case SYS_fcntl: {
      int cmd = static_cast<int>(args[1]);
      return cmd == F_GETFL || cmd == F_GETFD ? FdCall::kData : FdCall::kOther;
    }
    default:
      break;
  }
  const syscall::SyscallInfo* info = syscall::syscall_info(static_cast<int>(nr));
  if (!info) return FdCall::kNoFd;
  for (int i = 0; i < info->nargs; ++i)
    if (info->args[i].kind == syscall::ArgKind::kFd) return FdCall::kOther;
  return FdCall::kNoFd;
}

bool is_path_only_call(int64_t nr) {
  switch (nr) {
    case SYS_stat: case SYS_lstat: case SYS_access: case SYS_truncate: case SYS_rename:
    case SYS_mkdir: case SYS_rmdir: case SYS_link: case SYS_unlink: case SYS_symlink:
    case SYS_readlink: case SYS_chmod: case SYS_chown: case SYS_lchown: case SYS_utime:
    case SYS_statfs: case SYS_utimes: case SYS_mkdirat: case SYS_fchownat: case SYS_futimesat:
    case SYS_newfstatat: case SYS_unlinkat: case SYS_renameat: case SYS_linkat:
    case SYS_symlinkat: case SYS_readlinkat: case SYS_fchmodat: case SYS_faccessat:
    case SYS_utimensat: case SYS_renameat2: case SYS_statx: case SYS_faccessat2:
      return true;
    default:
      return false;
  }
}

}  // namespace omx::migrate
