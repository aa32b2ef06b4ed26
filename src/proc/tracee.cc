#include "proc/tracee.h"

#include <elf.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <utility>

#include "base/log.h"

namespace omx::proc {

long Tracee::default_options() {
  return PTRACE_O_EXITKILL | PTRACE_O_TRACESECCOMP | PTRACE_O_TRACEEXEC | PTRACE_O_TRACESYSGOOD |
         PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE;
}

Result<Tracee> Tracee::seize(pid_t pid, long options) {
  if (ptrace(PTRACE_SEIZE, pid, nullptr, reinterpret_cast<void*>(options)) != 0)
    return sys_error("ptrace(SEIZE)", pid);
  return Tracee(pid);
}

Tracee::Tracee(Tracee&& o) noexcept : pid_(std::exchange(o.pid_, 0)) {}

Tracee& Tracee::operator=(Tracee&& o) noexcept {
  if (this != &o) {
    if (pid_ > 0) (void)detach();
    pid_ = std::exchange(o.pid_, 0);
  }
  return *this;
}

Tracee::~Tracee() {
  if (pid_ > 0) (void)detach();
}

Status Tracee::interrupt() {
  if (ptrace(PTRACE_INTERRUPT, pid_, nullptr, nullptr) != 0)
    return sys_error("ptrace(INTERRUPT)", pid_);
  return ok_status();
}

Status Tracee::cont(int sig) {
  if (ptrace(PTRACE_CONT, pid_, nullptr, reinterpret_cast<void*>(static_cast<long>(sig))) != 0)
    return sys_error("ptrace(CONT)", pid_);
  return ok_status();
}

Status Tracee::cont_syscall(int sig) {
  if (ptrace(PTRACE_SYSCALL, pid_, nullptr, reinterpret_cast<void*>(static_cast<long>(sig))) != 0)
    return sys_error("ptrace(SYSCALL)", pid_);
  return ok_status();
}

Result<arch::Registers> Tracee::run_to_syscall_exit() {
  OMX_TRY(cont_syscall(0));
  for (;;) {
    OMX_ASSIGN(StopEvent e, wait());
    if (e.gone()) return make_error(ErrorCode::kVanished, "the task died in a system call", pid_);
    if (e.kind == StopEvent::Kind::kSyscall) return get_regs();
    OMX_TRY(cont_syscall(e.kind == StopEvent::Kind::kSignal ? e.sig : 0));
  }
}

Status Tracee::listen() {
  if (ptrace(PTRACE_LISTEN, pid_, nullptr, nullptr) != 0)
    return sys_error("ptrace(LISTEN)", pid_);
  return ok_status();
}

Status Tracee::detach(int sig) {
  pid_t pid = std::exchange(pid_, 0);
  if (pid <= 0) return ok_status();
  // PTRACE_DETACH needs a stopped tracee; a running one must be interrupted first.
  if (ptrace(PTRACE_DETACH, pid, nullptr, reinterpret_cast<void*>(static_cast<long>(sig))) == 0)
    return ok_status();
  if (errno == ESRCH && ptrace(PTRACE_INTERRUPT, pid, nullptr, nullptr) == 0) {
    int status;
    if (waitpid(pid, &status, __WALL) == pid && WIFSTOPPED(status) &&
        ptrace(PTRACE_DETACH, pid, nullptr, reinterpret_cast<void*>(static_cast<long>(sig))) == 0)
      return ok_status();
  }
  return sys_error("ptrace(DETACH)", pid);
}

StopEvent classify_wait_status(int status) {
  StopEvent e;
  e.raw_status = status;
  if (WIFEXITED(status)) {
    e.kind = StopEvent::Kind::kExited;
    e.exit_status = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    e.kind = StopEvent::Kind::kKilled;
    e.sig = WTERMSIG(status);
    e.core = WCOREDUMP(status);
  } else if (WIFSTOPPED(status)) {
    int sig = WSTOPSIG(status);
    int event = (status >> 16) & 0xff;
    if (event == PTRACE_EVENT_STOP) {
      bool group = sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
      e.kind = group ? StopEvent::Kind::kGroupStop : StopEvent::Kind::kInterrupt;
      e.sig = sig;
    } else if (sig == (SIGTRAP | 0x80)) {
      e.kind = StopEvent::Kind::kSyscall;
      e.sig = SIGTRAP;
    } else if (event != 0) {
      e.kind = StopEvent::Kind::kEvent;
      e.event = event;
      e.sig = sig;
    } else {
      e.kind = StopEvent::Kind::kSignal;
      e.sig = sig;
    }
  }
  return e;
}

Result<StopEvent> Tracee::wait() {
  int status = 0;
  for (;;) {
    pid_t r = waitpid(pid_, &status, __WALL);
    if (r == pid_) break;
    if (r < 0 && errno == EINTR) continue;
    return sys_error("waitpid", pid_);
  }
  StopEvent e = classify_wait_status(status);
  if (e.gone()) pid_ = 0;
  return e;
}

Result<StopEvent> Tracee::stop(std::vector<siginfo_t>* deferred) {
  OMX_TRY(interrupt());
  for (;;) {
    OMX_ASSIGN(StopEvent e, wait());
    switch (e.kind) {
      case StopEvent::Kind::kInterrupt:
      case StopEvent::Kind::kGroupStop:
        return e;
      case StopEvent::Kind::kSignal: {
        OMX_ASSIGN(siginfo_t si, get_siginfo());
        if (deferred) deferred->push_back(si);
        OMX_TRY(cont(0));
        break;
      }
      case StopEvent::Kind::kEvent:
      case StopEvent::Kind::kSyscall:
        // e.g. a seccomp or exec event that raced with the interrupt: it is a stop too.
        return e;
      case StopEvent::Kind::kExited:
      case StopEvent::Kind::kKilled:
        return make_error(ErrorCode::kVanished, "stop", pid_);
    }
  }
}

Result<arch::Registers> Tracee::get_regs() const {
  arch::Registers r;
  if (ptrace(PTRACE_GETREGS, pid_, nullptr, &r.raw()) != 0)
    return sys_error("ptrace(GETREGS)", pid_);
  return r;
}

Status Tracee::set_regs(const arch::Registers& r) const {
  if (ptrace(PTRACE_SETREGS, pid_, nullptr, &r.raw()) != 0)
    return sys_error("ptrace(SETREGS)", pid_);
  return ok_status();
}

Result<arch::ExtendedState> Tracee::get_xstate() const {
  arch::ExtendedState x;
  x.xsave.resize(16384);
  iovec iov{x.xsave.data(), x.xsave.size()};
  if (ptrace(PTRACE_GETREGSET, pid_, reinterpret_cast<void*>(NT_X86_XSTATE), &iov) != 0)
    return sys_error("ptrace(GETREGSET, NT_X86_XSTATE)", pid_);
  x.xsave.resize(iov.iov_len);
  return x;
}

Status Tracee::set_xstate(const arch::ExtendedState& x) const {
  iovec iov{const_cast<uint8_t*>(x.xsave.data()), x.xsave.size()};
  if (ptrace(PTRACE_SETREGSET, pid_, reinterpret_cast<void*>(NT_X86_XSTATE), &iov) != 0)
    return sys_error("ptrace(SETREGSET, NT_X86_XSTATE)", pid_);
  return ok_status();
}

Result<uint64_t> Tracee::get_sigmask() const {
  uint64_t mask = 0;
  if (ptrace(PTRACE_GETSIGMASK, pid_, reinterpret_cast<void*>(sizeof mask), &mask) != 0)
    return sys_error("ptrace(GETSIGMASK)", pid_);
  return mask;
}

Status Tracee::set_sigmask(uint64_t mask) const {
  if (ptrace(PTRACE_SETSIGMASK, pid_, reinterpret_cast<void*>(sizeof mask), &mask) != 0)
    return sys_error("ptrace(SETSIGMASK)", pid_);
  return ok_status();
}

Result<siginfo_t> Tracee::get_siginfo() const {
  siginfo_t si{};
  if (ptrace(PTRACE_GETSIGINFO, pid_, nullptr, &si) != 0)
    return sys_error("ptrace(GETSIGINFO)", pid_);
  return si;
}

Status Tracee::set_siginfo(const siginfo_t& si) const {
  if (ptrace(PTRACE_SETSIGINFO, pid_, nullptr, const_cast<siginfo_t*>(&si)) != 0)
    return sys_error("ptrace(SETSIGINFO)", pid_);
  return ok_status();
}

Result<unsigned long> Tracee::get_event_msg() const {
  unsigned long msg = 0;
  if (ptrace(PTRACE_GETEVENTMSG, pid_, nullptr, &msg) != 0)
    return sys_error("ptrace(GETEVENTMSG)", pid_);
  return msg;
}

}  // namespace omx::proc
