// Tracee: one ptrace attachment to one thread (ARCHITECTURE §6: RAII for every ptrace
// attachment). All calls must come from the thread that attached (a ptrace rule); a supervisor
// is single-threaded for that reason.
//
// Stop kinds the kernel reports through waitpid (see ptrace(2)), as we classify them:
//   kSignal     signal-delivery-stop: `sig` is about to be delivered; resume with it or 0
//   kGroupStop  PTRACE_EVENT_STOP after a stopping signal (SEIZE only)
//   kInterrupt  PTRACE_EVENT_STOP caused by PTRACE_INTERRUPT (or a seize of a stopped task)
//   kEvent      another PTRACE_EVENT_* stop (`event` holds it: SECCOMP, FORK, EXEC, EXIT, ...)
//   kSyscall    syscall-entry/exit stop after PTRACE_SYSCALL (PTRACE_O_TRACESYSGOOD)
//   kExited / kKilled  the thread is gone (status / signal)
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <cstdint>
#include <span>
#include <vector>

#include "arch/x86_64/regs.h"
#include "base/result.h"

namespace omx::proc {

struct StopEvent {
  enum class Kind { kSignal, kGroupStop, kInterrupt, kEvent, kSyscall, kExited, kKilled };
  Kind kind = Kind::kInterrupt;
  int sig = 0;         // kSignal/kGroupStop: the signal; kKilled: the fatal signal
  int event = 0;       // kEvent: PTRACE_EVENT_*
  int exit_status = 0; // kExited
  bool core = false;   // kKilled: dumped core
  int raw_status = 0;
  bool gone() const { return kind == Kind::kExited || kind == Kind::kKilled; }
};

class Tracee {
 public:
  // default_options(): the options every omx tracer sets: kill the tracee if the tracer dies (a supervisor crash
  // must never leave a half-migrated process running free), follow children, report exec and
  // seccomp stops.
  static long default_options();

  Tracee() = default;
  // Seizes `pid` (PTRACE_SEIZE, no stop). The task keeps running.
  static Result<Tracee> seize(pid_t pid, long options = default_options());
  // Adopts a task already traced by this thread (e.g. an auto-attached child).
  static Tracee adopt(pid_t pid) { return Tracee(pid); }

  Tracee(Tracee&& o) noexcept;
  Tracee& operator=(Tracee&& o) noexcept;
  Tracee(const Tracee&) = delete;
  Tracee& operator=(const Tracee&) = delete;
  ~Tracee();  // detaches if still attached and alive

  pid_t pid() const { return pid_; }
  bool attached() const { return pid_ > 0; }
  // Forget the task without detaching (it died, or ownership moved elsewhere).
  void release() { pid_ = 0; }

  Status interrupt();
  Status cont(int sig = 0);
  // Resumes until the next syscall entry or exit (PTRACE_SYSCALL).
  Status cont_syscall(int sig = 0);
  // From a seccomp stop (its call set up in the registers): lets the call run and returns the
  // registers at its syscall-exit stop, where the task then is. Signals met on the way are
  // passed on. kVanished if the task died meanwhile.
  Result<arch::Registers> run_to_syscall_exit();
  Status listen();
  Status detach(int sig = 0);
  // Waits for the next stop or exit of this task (blocking, __WALL).
  Result<StopEvent> wait();
  // Interrupts a running task and waits until it is in a stop, deferring any
  // signal-delivery-stops met on the way into `deferred` (their siginfo; the signals are
  // suppressed and must be re-delivered by the caller). Returns the stop it ended in: an
  // interrupt or group stop, or an event stop (seccomp, fork, exec...) that was already
  // pending — the caller must treat that one as the event it is.
  Result<StopEvent> stop(std::vector<siginfo_t>* deferred);

  Result<arch::Registers> get_regs() const;
  Status set_regs(const arch::Registers& r) const;
  Result<arch::ExtendedState> get_xstate() const;
  Status set_xstate(const arch::ExtendedState& x) const;
  Result<uint64_t> get_sigmask() const;
  Status set_sigmask(uint64_t mask) const;
  Result<siginfo_t> get_siginfo() const;
  Status set_siginfo(const siginfo_t& si) const;
  Result<unsigned long> get_event_msg() const;

 private:
  explicit Tracee(pid_t pid) : pid_(pid) {}
  pid_t pid_ = 0;
};

// Classifies a raw waitpid status of a ptraced task.
StopEvent classify_wait_status(int status);

}  // namespace omx::proc
