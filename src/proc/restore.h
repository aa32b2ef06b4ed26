// Restore: rebuilds a ProcessImage inside a stopped tracee whose own memory is expendable
// (a fresh child made by spawn_restore_host, or a deputy coming back to life at home). All
// work is done by injected syscalls through the tracee's scratch area (docs/design.md):
// unregister the host's kernel-held pointers, unmap everything but the scratch area, map the
// vDSO and every VMA, write the pages, restore signal state, kernel pointers and registers,
// optionally drop credentials and install a seccomp filter, then unmap the scratch area.
// On success the tracee is left stopped with the image's registers; resume it with cont(0).
//
// Single-threaded: runs on the tracer thread.
#pragma once

#include <linux/filter.h>
#include <sys/types.h>

#include <optional>
#include <vector>

#include "proc/image.h"
#include "proc/remote_syscall.h"

namespace omx::proc {

struct Credentials {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
};

struct RestoreOptions {
  std::vector<sock_filter> seccomp_filter;  // empty: install none
  std::optional<Credentials> creds;         // set: switch the body to these ids
  bool emulated_brk = true;                 // false: set the kernel's brk to the image's (home)
};

// A freshly forked child, traced by the caller, stopped, with a scratch area at an address
// that no VMA of the image uses.
struct RestoreHost {
  Tracee tracee;
  ScratchArea scratch;
  arch::Registers regs;  // its registers at the stop
};

// Forks the host process. In the child nothing but raw syscalls run (async-signal-safe).
Result<RestoreHost> spawn_restore_host(const ProcessImage& image, uint64_t scratch_size);

// Finds an address range of `size` bytes that no VMA of `image` (nor the vDSO) touches.
uint64_t find_free_range(const ProcessImage& image, uint64_t size);

// Undoes what the tracee registered with the kernel pointing into its own memory (rseq area,
// robust futex list, clear_child_tid): before its memory is replaced or emptied, or the kernel
// would write into (or fault on) whatever is mapped there later.
Status unregister_kernel_pointers(Tracee& t, RemoteSyscaller& rs);

// Unmaps every mapping of the tracee except the scratch area of `rs`.
Status unmap_all_but_scratch(RemoteSyscaller& rs);

Status restore_into(Tracee& t, const ProcessMemory& mem, const ScratchArea& scratch,
                    const arch::Registers& base, const ProcessImage& image, PageSource& pages,
                    const RestoreOptions& opts);

}  // namespace omx::proc
