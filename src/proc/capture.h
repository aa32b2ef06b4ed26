// Capture: reads the complete user context of a stopped, traced, single-threaded process into
// a ProcessImage plus a stream of page runs (ARCHITECTURE §2). Capture never changes what the
// process will do: if the migration is abandoned, restoring `CaptureResult::original_regs` and
// resuming continues it exactly where it was (including a restart of an interrupted syscall).
//
// Single-threaded: runs on the tracer thread.
#pragma once

#include <functional>

#include "proc/image.h"
#include "proc/remote_syscall.h"

namespace omx::proc {

struct CaptureOptions {
  // Whether the target has the identical file for a private file-backed mapping. If true the
  // VMA is mapped from the file there and only changed pages travel; if false every page does.
  std::function<bool(const Vma&)> file_available = [](const Vma&) { return false; };
};

struct CaptureResult {
  ProcessImage image;
  arch::Registers original_regs;  // as stopped, before any rewinding (for rollback)
};

// Captures registers, signal state and kernel-held pointers. `stopped_regs` are the registers
// read when the tracee stopped, before anything was injected (injection moves rip). `vmas` must
// be fresh (read while stopped); the scratch area used by `rs` is left out of the image.
Result<CaptureResult> capture_state(Tracee& t, RemoteSyscaller& rs,
                                    const arch::Registers& stopped_regs,
                                    const std::vector<Vma>& vmas);

// Decides how each VMA is rebuilt at the target (file-backed or anonymous) from
// opts.file_available. Idempotent; capture_pages calls it too. Call it first when the image
// must be sent before its pages.
void assign_sources(ProcessImage& image, const CaptureOptions& opts);

// Streams the pages of every VMA of `image` into `sink`, setting each VMA's source.
Status capture_pages(const ProcessMemory& mem, ProcessImage& image, const CaptureOptions& opts,
                     PageSink& sink);

}  // namespace omx::proc
