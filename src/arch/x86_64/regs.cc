#include "arch/x86_64/regs.h"

#include <cstring>

#include "base/check.h"

namespace omx::arch {

uint64_t Registers::arg(int i) const {
  switch (i) {
    case 0: return r_.rdi;
    case 1: return r_.rsi;
    case 2: return r_.rdx;
    case 3: return r_.r10;
    case 4: return r_.r8;
    case 5: return r_.r9;
  }
  OMX_CHECK(false, "syscall arg index %d", i);
  return 0;
}

void Registers::set_arg(int i, uint64_t v) {
  switch (i) {
    case 0: r_.rdi = v; return;
    case 1: r_.rsi = v; return;
    case 2: r_.rdx = v; return;
    case 3: r_.r10 = v; return;
    case 4: r_.r8 = v; return;
    case 5: r_.r9 = v; return;
  }
  OMX_CHECK(false, "syscall arg index %d", i);
}

void Registers::setup_syscall(uint64_t insn_addr, int64_t no, const uint64_t* args, int nargs) {
  r_.rip = insn_addr;
  r_.rax = static_cast<uint64_t>(no);
  // orig_rax = -1: we are not inside a syscall, so the kernel must not apply restart logic
  // to these registers when the tracee resumes.
  r_.orig_rax = static_cast<uint64_t>(-1);
  for (int i = 0; i < 6; ++i) set_arg(i, i < nargs ? args[i] : 0);
}

bool Registers::rewind_interrupted_syscall() {
  int64_t no = static_cast<int64_t>(r_.orig_rax);
  if (no < 0) return false;
  int64_t rax = static_cast<int64_t>(r_.rax);
  if (rax != kERestartSys && rax != kERestartNoIntr && rax != kERestartNoHand &&
      rax != kERestartRestartBlock)
    return false;
  if (rax == kERestartRestartBlock) {
    // The kernel keeps the time left in its restart block, which does not travel; but when the
    // caller passed `rem`, it has already written the time left there (nanosleep_copyout), so
    // the re-made call sleeps only that long. Without `rem` the sleep restarts in full.
    constexpr int64_t kNanosleep = 35, kClockNanosleep = 230, kTimerAbstime = 1;
    if (no == kNanosleep && r_.rsi) rewound_sleep_ = r_.rdi = r_.rsi;
    if (no == kClockNanosleep && !(r_.rsi & kTimerAbstime) && r_.r10) rewound_sleep_ = r_.rdx = r_.r10;
  }
  r_.rax = static_cast<uint64_t>(no);
  r_.rip -= kSyscallInsnSize;
  r_.orig_rax = static_cast<uint64_t>(-1);
  return true;
}

uint64_t ExtendedState::xcr0() const {
  uint64_t v = 0;
  if (xsave.size() >= 472) std::memcpy(&v, xsave.data() + 464, sizeof v);
  return v;
}

}  // namespace omx::arch
