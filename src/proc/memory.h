// Access to another process's memory and page table flags.
//
// * read(): process_vm_readv — fast, no ptrace stop needed, fails on unreadable pages.
// * write(): pwrite to /proc/PID/mem — needs ptrace rights, and (FOLL_FORCE) can write into
//   read-only private mappings, which restore relies on.
// * pagemap(): /proc/PID/pagemap entries (64-bit each, see proc_pid_pagemap(5)). Without
//   CAP_SYS_ADMIN the PFN field reads as zero, but the flag bits are always there.
// Not thread-safe per object; one per traced process.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/remote_ptr.h"
#include "base/result.h"
#include "base/scoped_fd.h"

namespace omx::proc {

inline constexpr uint64_t kPagemapPresent = 1ull << 63;
inline constexpr uint64_t kPagemapSwapped = 1ull << 62;
inline constexpr uint64_t kPagemapFileOrSharedAnon = 1ull << 61;

class ProcessMemory {
 public:
  static Result<ProcessMemory> open(pid_t pid);

  pid_t pid() const { return pid_; }
  Status read(RemotePtr<void> addr, std::span<uint8_t> out) const;
  Status write(RemotePtr<void> addr, std::span<const uint8_t> data) const;
  // Writes a NUL-terminated string; returns nothing.
  Status write_string(RemotePtr<char> addr, const std::string& s) const;
  // Reads the pagemap entries for [start, end).
  Result<std::vector<uint64_t>> pagemap(uint64_t start, uint64_t end) const;

 private:
  ProcessMemory(pid_t pid, ScopedFd mem, ScopedFd pagemap)
      : pid_(pid), mem_(std::move(mem)), pagemap_(std::move(pagemap)) {}
  pid_t pid_ = 0;
  ScopedFd mem_;
  ScopedFd pagemap_;
};

// True if every byte is zero (fast, word at a time).
bool is_zero_page(const uint8_t* p, size_t len);

}  // namespace omx::proc
