#include "proc/cantmove.h"

#include <dirent.h>
#include <sched.h>

#include <fstream>

#include <fmt/format.h>

namespace omx::proc {
namespace {

struct Name {
  CantMove r;
  const char* name;
};
constexpr Name kNames[] = {
    {CantMove::kMonkey, "monkey"},         {CantMove::kMmapDev, "mmap_dev"},
    {CantMove::kMemLock, "mem_lock"},      {CantMove::kCloneVm, "clone_vm"},
    {CantMove::kRtSched, "rt_sched"},      {CantMove::kSystem, "system"},
    {CantMove::kHugetlb, "hugetlb"},       {CantMove::kPosixTimer, "posix_timer"},
    {CantMove::kUserLock, "user_lock"},
};

int count_entries(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (!d) return -1;
  int n = 0;
  while (dirent* e = readdir(d))
    if (e->d_name[0] != '.') ++n;
  closedir(d);
  return n;
}

bool has_posix_timers(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/timers", pid));
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("ID:", 0) == 0) return true;
  return false;
}

bool is_device_path(const std::string& p) {
  return p.rfind("/dev/", 0) == 0 && p != "/dev/zero";
}

}  // namespace

std::string CantMoveSet::to_string() const {
  std::string s;
  for (const Name& n : kNames) {
    if (!has(n.r)) continue;
    if (!s.empty()) s += ' ';
    s += n.name;
  }
  return s;
}

Result<CantMoveSet> check_cantmove(pid_t pid, const std::vector<Vma>& vmas) {
  CantMoveSet set;
  if (pid == 1) set.add(CantMove::kSystem);
  int threads = count_entries(fmt::format("/proc/{}/task", pid));
  if (threads < 0) return make_error(ErrorCode::kVanished, "read task list", pid);
  if (threads > 1) set.add(CantMove::kCloneVm);
  int policy = sched_getscheduler(pid);
  if (policy == SCHED_FIFO || policy == SCHED_RR || policy == SCHED_DEADLINE)
    set.add(CantMove::kRtSched);
  if (has_posix_timers(pid)) set.add(CantMove::kPosixTimer);
  for (const Vma& v : vmas) {
    if (v.is_vdso_family()) continue;
    if (v.shared && !v.read_only_shared_file()) set.add(CantMove::kMonkey);
    if (v.io_or_pfn || is_device_path(v.path)) set.add(CantMove::kMmapDev);
    if (v.locked) set.add(CantMove::kMemLock);
    if (v.hugetlb) set.add(CantMove::kHugetlb);
  }
  return set;
}

}  // namespace omx::proc
