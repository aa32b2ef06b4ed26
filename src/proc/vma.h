// Vma: one virtual memory area of a process, parsed from /proc/PID/maps and the VmFlags line
// of /proc/PID/smaps. read_vmas() returns them in address order. [vsyscall] (a fixed kernel
// page above the user range) is skipped: it is identical everywhere and cannot be mapped.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace omx::proc {

struct Vma {
  uint64_t start = 0;
  uint64_t end = 0;
  bool read = false, write = false, exec = false;
  bool shared = false;       // 's' in maps (MAP_SHARED)
  uint64_t offset = 0;       // file offset
  uint32_t dev_major = 0, dev_minor = 0;
  uint64_t inode = 0;
  std::string path;          // file path, "[heap]", "[stack]", "[vdso]", "[anon:x]", "" ...
  bool deleted = false;      // path ended in " (deleted)"
  // From smaps VmFlags (two-letter codes, see proc(5)).
  bool locked = false;       // lo: mlock()ed
  bool io_or_pfn = false;    // io / pf: device or PFN mapping
  bool grows_down = false;   // gd
  bool dont_dump = false;    // dd
  bool hugetlb = false;      // ht
  bool may_write = false;    // mw: mprotect could make it writable

  uint64_t size() const { return end - start; }
  bool file_backed() const { return inode != 0; }
  bool special() const { return !path.empty() && path.front() == '[' && path.rfind("[anon:", 0) != 0; }
  bool is_vdso_family() const {
    return path == "[vdso]" || path == "[vvar]" || path == "[vvar_vclock]";
  }
  int prot() const;
  // A shared file mapping that can never be written (no VM_MAYWRITE: the file was opened
  // read-only), e.g. glibc's gconv-modules.cache: a view of the file, safe to move.
  bool read_only_shared_file() const { return shared && file_backed() && !may_write && !write; }
};

// Parses one line of /proc/PID/maps. Exposed for tests.
Result<Vma> parse_maps_line(std::string_view line);
// Applies a "VmFlags: rd wr ..." line to `vma`.
void apply_vm_flags(std::string_view flags_line, Vma& vma);

// Reads /proc/PID/smaps (maps + VmFlags for each VMA).
Result<std::vector<Vma>> read_vmas(pid_t pid);

}  // namespace omx::proc
