// Registers: the general-purpose register file of a stopped x86-64 tracee (user_regs_struct)
// with named accessors for the syscall ABI, plus the extended state (FPU/SSE/AVX...) as the
// raw XSAVE area the kernel exposes through PTRACE_GETREGSET NT_X86_XSTATE.
//
// Syscall ABI (x86-64): number in rax (orig_rax at a syscall stop), args in rdi, rsi, rdx,
// r10, r8, r9, result in rax; the `syscall` instruction is 2 bytes (0f 05), which is what
// restart logic rewinds rip by.
#pragma once

#if !defined(__x86_64__)
#error "omx arch/x86_64 built for another architecture"
#endif

#include <sys/user.h>

#include <cstdint>
#include <vector>

namespace omx::arch {

inline constexpr int kSyscallInsnSize = 2;
inline constexpr uint8_t kSyscallInsn[2] = {0x0f, 0x05};
inline constexpr uint8_t kInt3 = 0xcc;
inline constexpr uint64_t kPageSize = 4096;
inline constexpr uint64_t page_up(uint64_t v) { return (v + kPageSize - 1) & ~(kPageSize - 1); }

// Kernel-internal restart codes a tracee can show in rax when stopped inside a syscall.
inline constexpr int64_t kERestartSys = -512;
inline constexpr int64_t kERestartNoIntr = -513;
inline constexpr int64_t kERestartNoHand = -514;
inline constexpr int64_t kERestartRestartBlock = -516;

class Registers {
 public:
  Registers() = default;
  explicit Registers(const user_regs_struct& r) : r_(r) {}

  user_regs_struct& raw() { return r_; }
  const user_regs_struct& raw() const { return r_; }

  uint64_t ip() const { return r_.rip; }
  void set_ip(uint64_t v) { r_.rip = v; }
  uint64_t sp() const { return r_.rsp; }
  void set_sp(uint64_t v) { r_.rsp = v; }

  // At a syscall-entry or seccomp stop: the syscall number and its six arguments.
  int64_t syscall_no() const { return static_cast<int64_t>(r_.orig_rax); }
  void set_syscall_no(int64_t v) { r_.orig_rax = static_cast<uint64_t>(v); }
  uint64_t arg(int i) const;
  void set_arg(int i, uint64_t v);
  int64_t result() const { return static_cast<int64_t>(r_.rax); }
  void set_result(int64_t v) { r_.rax = static_cast<uint64_t>(v); }

  // Prepares the registers to execute syscall `no` with `args` at address `insn_addr`
  // (which must hold a syscall instruction), as used for injection.
  void setup_syscall(uint64_t insn_addr, int64_t no, const uint64_t* args, int nargs);

  // If the tracee was stopped inside an interrupted syscall that the kernel would restart,
  // rewrites the registers so that resuming anywhere (even on another kernel) re-executes
  // that syscall: rax = syscall number, rip back over the syscall instruction.
  // ERESTART_RESTARTBLOCK cannot be restarted via restart_syscall on another kernel, so the
  // original call is re-issued instead: nanosleep/relative clock_nanosleep sleep the time
  // left when the caller gave a `rem` buffer (the kernel wrote it), else the full time.
  // Returns true if anything was changed.
  bool rewind_interrupted_syscall();
  // After rewind_interrupted_syscall: the address of the timespec the re-made sleep will read
  // (the caller's `rem`, holding the time left when it was interrupted), else 0. Whoever resumes
  // the process later subtracts the time that passed meanwhile (proc::restore_into).
  uint64_t rewound_sleep_timespec() const { return rewound_sleep_; }

 private:
  uint64_t rewound_sleep_ = 0;  // see rewound_sleep_timespec(); not part of the wire image
  user_regs_struct r_{};
};

// The XSAVE area as read by PTRACE_GETREGSET(NT_X86_XSTATE); opaque bytes. The target kernel
// accepts it if its CPU supports the same features (checked by comparing XCR0, bytes 464..471).
struct ExtendedState {
  std::vector<uint8_t> xsave;
  uint64_t xcr0() const;
};

}  // namespace omx::arch
