#include "migrate/home_fd_query.h"

#include <dirent.h>
#include <linux/kcmp.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>

#include <fmt/format.h>

#include "daemon/control_client.h"
#include "migrate/dfsa_paths.h"

namespace omx::migrate {
namespace {

bool same_file(pid_t a, pid_t b, int fa, int fb) {
  return ::syscall(SYS_kcmp, a, b, KCMP_FILE, fa, fb) == 0;
}

// Whether any fd but (deputy, fd) names the same description. Candidates are first narrowed
// by device and inode (a stat through the magic link), then compared by kcmp.
bool description_shared(pid_t deputy, int fd, dev_t dev, ino_t ino) {
  pid_t self = ::getpid();
  DIR* procs = ::opendir("/proc");
  if (!procs) return true;  // cannot tell: say shared (the safe side)
  bool shared = false;
  while (dirent* p = ::readdir(procs)) {
    char* end = nullptr;
    long pid = std::strtol(p->d_name, &end, 10);
    if (*end || pid <= 0 || pid == self) continue;
    std::string fd_dir = fmt::format("/proc/{}/fd", pid);
    DIR* fds = ::opendir(fd_dir.c_str());
    if (!fds) continue;
    while (dirent* f = ::readdir(fds)) {
      int other = std::atoi(f->d_name);
      if (f->d_name[0] == '.' || (pid == deputy && other == fd)) continue;
      struct stat st;
      if (::stat(fmt::format("{}/{}", fd_dir, f->d_name).c_str(), &st) != 0) continue;
      if (st.st_dev != dev || st.st_ino != ino) continue;
      if (same_file(deputy, static_cast<pid_t>(pid), fd, other)) {
        shared = true;
        break;
      }
    }
    ::closedir(fds);
    if (shared) break;
  }
  ::closedir(procs);
  return shared;
}

}  // namespace

FdInfo query_deputy_fd(pid_t deputy, int fd, const std::vector<std::string>& dirs) {
  FdInfo info;
  info.fd = fd;
  std::string link = fmt::format("/proc/{}/fd/{}", deputy, fd);
  char buf[4097];
  ssize_t n = ::readlink(link.c_str(), buf, sizeof buf - 1);
  struct stat st;
  if (n < 0 || ::stat(link.c_str(), &st) != 0) {
    info.err = errno == ENOENT ? EBADF : errno;
    return info;
  }
  info.path.assign(buf, static_cast<size_t>(n));
  info.mode = st.st_mode;
  info.ino = st.st_ino;
  info.size = static_cast<uint64_t>(st.st_size);
  std::ifstream fdinfo(fmt::format("/proc/{}/fdinfo/{}", deputy, fd));
  if (!fdinfo) {
    info.err = EBADF;
    return info;
  }
  std::string key;
  while (fdinfo >> key) {
    if (key == "pos:") {
      fdinfo >> info.pos;
    } else if (key == "flags:") {
      std::string oct;
      fdinfo >> oct;
      info.flags = static_cast<uint32_t>(std::strtoul(oct.c_str(), nullptr, 8));
    } else if (key == "lock:") {
      info.locked = true;
    }
    fdinfo.ignore(1 << 20, '\n');
  }
  // Only a file DFSA could lend is worth the scan.
  if (S_ISREG(st.st_mode) && !info.locked && path_under(info.path, dirs))
    info.shared = description_shared(deputy, fd, st.st_dev, st.st_ino);
  return info;
}

NodeDfsa node_dfsa(const std::string& control_address) {
  nlohmann::json req = {{"op", "dfsa"}};
  auto reply = control_address.empty()
                   ? daemon::control_request(req, daemon::default_control_address(),
                                             std::chrono::milliseconds(500))
                   : daemon::control_request(req, control_address, std::chrono::milliseconds(500));
  if (!reply.ok() || !reply->value("ok", false) || !reply->contains("dirs")) return {};
  NodeDfsa out;
  std::vector<std::string> dirs;
  for (const auto& d : (*reply)["dirs"])
    if (d.is_string()) dirs.push_back(d.get<std::string>());
  out.dirs = clean_dirs(dirs);
  if (auto m = normalize_path(reply->value("mfs_mount", std::string())); m && *m != "/") out.mfs_mount = *m;
  return out;
}

}  // namespace omx::migrate
