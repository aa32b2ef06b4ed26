// Finding processes through /proc: the identity of a pid (its start time, so a reused pid is not
// mistaken for the omxd the harness started), and every process living in given namespaces
// (what `omx cluster down` must kill before it removes them).
//
// Races with processes that exit or start during a scan are expected: a vanished process is
// skipped, callers rescan. Thread-safe (no shared state).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <set>
#include <vector>

#include "base/result.h"

namespace omx::cluster {

struct ProcStat {
  char state = '?';         // R, S, D, Z, ...
  uint64_t start_time = 0;  // clock ticks since boot (field 22 of /proc/PID/stat)
};

// kVanished if the process does not exist.
Result<ProcStat> read_proc_stat(pid_t pid);

// The process pid exists, is not a zombie, and started at start_time.
bool process_is(pid_t pid, uint64_t start_time);

// The nsfs inode /proc/PID/ns/<kind> links to (kind "net", "mnt", ...).
Result<uint64_t> process_ns_inode(pid_t pid, const char* kind);

// Every live process whose net namespace is in `net` or mount namespace is in `mnt`. Scans at
// most max_processes entries of /proc.
std::vector<pid_t> processes_in_namespaces(const std::set<uint64_t>& net,
                                           const std::set<uint64_t>& mnt,
                                           size_t max_processes = 1 << 20);

}  // namespace omx::cluster
