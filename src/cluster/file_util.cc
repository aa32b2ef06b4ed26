#include "cluster/file_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "base/scoped_fd.h"

namespace omx::cluster {

Result<std::string> read_text_file(const std::string& path, size_t max_bytes) {
  ScopedFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return sys_error(fmt::format("open {}", path));
  std::string out;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sys_error(fmt::format("read {}", path));
    if (n == 0) return out;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > max_bytes)
      return make_error(ErrorCode::kInvalid, fmt::format("{} is larger than {} bytes", path, max_bytes));
  }
}

Status write_file_atomic(const std::string& path, const std::string& data, mode_t mode) {
  std::string tmp = fmt::format("{}.tmp.{}", path, ::getpid());
  ScopedFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (!fd.valid()) return sys_error(fmt::format("create {}", tmp));
  ::fchmod(fd.get(), mode);  // not subject to the umask
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd.get(), data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Error e = sys_error(fmt::format("write {}", tmp));
      ::unlink(tmp.c_str());
      return e;
    }
    off += static_cast<size_t>(n);
  }
  fd.reset();
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    Error e = sys_error(fmt::format("rename {} to {}", tmp, path));
    ::unlink(tmp.c_str());
    return e;
  }
  return ok_status();
}

Status make_dirs(const std::string& path, mode_t mode) {
  for (size_t pos = 1; pos <= path.size(); ++pos) {
    if (pos != path.size() && path[pos] != '/') continue;
    std::string prefix = path.substr(0, pos);
    if (::mkdir(prefix.c_str(), mode) != 0 && errno != EEXIST)
      return sys_error(fmt::format("mkdir {}", prefix));
  }
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return sys_error(fmt::format("stat {}", path));
  if (!S_ISDIR(st.st_mode))
    return make_error(ErrorCode::kInvalid, fmt::format("{} is not a directory", path));
  return ok_status();
}

}  // namespace omx::cluster
