// RemoteSyscaller: makes a stopped tracee execute system calls on our behalf (rr's
// AutoRemoteSyscalls, CRIU's compel). The tracee needs a scratch area whose first bytes are
// `syscall; int3`: we point rip there, set the ABI registers, resume, and collect rax at the
// int3 trap. The data part of the scratch area holds buffers passed by pointer.
//
// Signals that arrive while a call runs produce signal-delivery-stops; they are suppressed and
// their siginfo kept in deferred() for the caller to re-deliver (an interrupted call is
// restarted by the kernel because orig_rax is >= 0 at that point).
//
// Single-threaded: the owning tracer thread only.
#pragma once

#include <signal.h>

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <vector>

#include "arch/x86_64/regs.h"
#include "base/remote_ptr.h"
#include "base/result.h"
#include "proc/memory.h"
#include "proc/tracee.h"
#include "proc/vma.h"

namespace omx::proc {

// A region in the tracee: [base, base+kCodeSize) holds `syscall; int3`, the rest is data.
struct ScratchArea {
  static constexpr uint64_t kCodeSize = 64;
  uint64_t base = 0;
  uint64_t size = 0;
  uint64_t insn() const { return base; }
  RemotePtr<void> data() const { return RemotePtr<void>(base + arch::kPageSize); }
  uint64_t data_size() const { return size - arch::kPageSize; }
  bool contains(uint64_t a) const { return a >= base && a < base + size; }
};

// The machine code of the scratch area's first page.
std::span<const uint8_t> scratch_code();

class RemoteSyscaller {
 public:
  // `t` must be in a ptrace stop. `base` is the register set to derive call registers from
  // (segment registers, fs_base, flags); it is never modified here.
  RemoteSyscaller(Tracee& t, const ProcessMemory& mem, ScratchArea scratch,
                  const arch::Registers& base);

  // Runs syscall `no` with `args`; returns the raw result (-errno on failure), or an error if
  // the tracee vanished or stopped somewhere unexpected.
  Result<int64_t> call(int64_t no, std::initializer_list<uint64_t> args);
  // Like call(), but an error result (-4095..-1) becomes an Error naming `what`.
  Result<uint64_t> call_checked(const char* what, int64_t no, std::initializer_list<uint64_t> args);
  // Runs a call that removes the scratch area itself (munmap): the return lands on an unmapped
  // address and faults; the SIGSEGV stop is the expected end. The tracee stays in that stop
  // (resume it with cont(0) after setting its final registers).
  Status call_unmapping_self(int64_t no, std::initializer_list<uint64_t> args);

  // Copies bytes into the scratch data area at `offset` and returns their remote address.
  Result<RemotePtr<void>> put(std::span<const uint8_t> bytes, uint64_t offset = 0);
  Result<RemotePtr<char>> put_string(const std::string& s, uint64_t offset = 0);
  template <typename T>
  Result<RemotePtr<void>> put_struct(const T& v, uint64_t offset = 0) {
    return put(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(&v), sizeof v), offset);
  }
  template <typename T>
  Result<T> get_struct(RemotePtr<void> at) const {
    T v{};
    OMX_TRY(mem_.read(at, std::span<uint8_t>(reinterpret_cast<uint8_t*>(&v), sizeof v)));
    return v;
  }

  const ScratchArea& scratch() const { return scratch_; }
  std::vector<siginfo_t>& deferred() { return deferred_; }

 private:
  Result<StopEvent> run_until_stop(int64_t no);

  Tracee& t_;
  const ProcessMemory& mem_;
  ScratchArea scratch_;
  arch::Registers base_;
  std::vector<siginfo_t> deferred_;
};

// Creates a scratch area in a stopped tracee that has none, by briefly patching `syscall; int3`
// over the first bytes of one of its executable mappings (restored before returning), and
// injecting mmap/mprotect through it.
Result<ScratchArea> create_scratch(Tracee& t, const ProcessMemory& mem,
                                   const std::vector<Vma>& vmas, const arch::Registers& regs,
                                   uint64_t size, std::vector<siginfo_t>* deferred);

}  // namespace omx::proc
