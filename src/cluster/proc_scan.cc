#include "cluster/proc_scan.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <cstring>
#include <string>

#include <fmt/format.h>

#include "cluster/file_util.h"

namespace omx::cluster {

Result<ProcStat> read_proc_stat(pid_t pid) {
  auto text = read_text_file(fmt::format("/proc/{}/stat", pid), 4096);
  if (!text.ok()) return make_error(ErrorCode::kVanished, "read /proc/PID/stat", pid);
  // "pid (comm) S ppid ..." where comm may contain spaces and ')': parse after the last ')'.
  auto close = text->rfind(')');
  if (close == std::string::npos || close + 2 >= text->size())
    return make_error(ErrorCode::kProtocol, "parse /proc/PID/stat", pid);
  ProcStat st;
  st.state = (*text)[close + 2];
  // Field 3 is the state; starttime is field 22, i.e. 19 fields further on.
  size_t pos = close + 2;
  for (int field = 3; field < 22; ++field) {
    pos = text->find(' ', pos);
    if (pos == std::string::npos) return make_error(ErrorCode::kProtocol, "parse /proc/PID/stat", pid);
    ++pos;
  }
  std::from_chars(text->data() + pos, text->data() + text->size(), st.start_time);
  return st;
}

bool process_is(pid_t pid, uint64_t start_time) {
  if (pid <= 0) return false;
  auto st = read_proc_stat(pid);
  return st.ok() && st->state != 'Z' && st->state != 'X' && st->start_time == start_time;
}

Result<uint64_t> process_ns_inode(pid_t pid, const char* kind) {
  std::string path = fmt::format("/proc/{}/ns/{}", pid, kind);
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return sys_error(fmt::format("stat {}", path), pid);
  return static_cast<uint64_t>(st.st_ino);
}

std::vector<pid_t> processes_in_namespaces(const std::set<uint64_t>& net,
                                           const std::set<uint64_t>& mnt, size_t max_processes) {
  std::vector<pid_t> out;
  DIR* proc = ::opendir("/proc");
  if (!proc) return out;
  size_t seen = 0;
  while (dirent* e = ::readdir(proc)) {
    if (++seen > max_processes) break;
    pid_t pid = 0;
    auto [p, ec] = std::from_chars(e->d_name, e->d_name + std::strlen(e->d_name), pid);
    if (ec != std::errc() || *p != '\0' || pid <= 0 || pid == ::getpid()) continue;
    auto n = process_ns_inode(pid, "net");
    auto m = process_ns_inode(pid, "mnt");
    if ((n.ok() && net.count(*n)) || (m.ok() && mnt.count(*m))) out.push_back(pid);
  }
  ::closedir(proc);
  return out;
}

}  // namespace omx::cluster
