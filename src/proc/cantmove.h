// Why a process cannot migrate, in openMosix's terms (reference §2.4), so `omx` can always say
// why a process stays. A process is movable when the set is empty.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "proc/vma.h"

namespace omx::proc {

enum class CantMove : uint32_t {
  kMonkey = 0x1,        // "monkey": shared (file or anonymous) memory mapping
  kMmapDev = 0x2,       // "mmap_dev": maps a device, fifo or socket
  kMemLock = 0x20,      // "mem_lock": mlock()ed memory
  kCloneVm = 0x40,      // "clone_vm": shares its mm (threads)
  kRtSched = 0x80,      // "rt_sched": real-time scheduling class
  kSystem = 0x200,      // "system": pid 1 / kernel thread
  kHugetlb = 0x10000,   // "hugetlb": hugetlbfs memory (omx)
  kPosixTimer = 0x20000,// "posix_timer": timer_create timers (omx)
  kUserLock = 0x80000000,  // "user_lock": locked by the user (mosrun -L, omx lock)
};

struct CantMoveSet {
  uint32_t bits = 0;
  void add(CantMove r) { bits |= static_cast<uint32_t>(r); }
  bool has(CantMove r) const { return bits & static_cast<uint32_t>(r); }
  bool empty() const { return bits == 0; }
  // Space-separated reason names, e.g. "clone_vm monkey"; "" when movable.
  std::string to_string() const;
};

// Examines a process's VMAs and /proc state. Needs no ptrace stop.
Result<CantMoveSet> check_cantmove(pid_t pid, const std::vector<Vma>& vmas);

}  // namespace omx::proc
