// Deputy: the original process at home while its body runs elsewhere (ARCHITECTURE §1). Its
// address space is emptied except a scratch area; it is parked in rt_sigsuspend(empty set), so
// any signal sent to it produces a signal-delivery-stop the home supervisor sees and forwards.
// Forwarded system calls are executed in it by injection (first step; target: an injected
// deputy loop without a ptrace stop per call).
//
// Kernel objects stay real: pid, parent, fds, cwd, credentials, terminal. Single-threaded:
// used only by the home supervisor's thread (the tracer).
#pragma once

#include <signal.h>

#include <vector>

#include "migrate/syscall_request.h"
#include "proc/remote_syscall.h"

namespace omx::migrate {

class Deputy {
 public:
  // `t` is stopped and its image captured; `scratch` exists in it.
  static Result<Deputy> become(proc::Tracee t, proc::ScratchArea scratch,
                               const arch::Registers& regs);

  Deputy(Deputy&&) = default;
  Deputy& operator=(Deputy&&) = default;

  pid_t pid() const { return t_.pid(); }
  proc::Tracee& tracee() { return t_; }
  const proc::ScratchArea& scratch() const { return scratch_; }
  const arch::Registers& base_regs() const { return base_; }

  // Executes a forwarded call (the deputy must be parked). Signals met on the way are
  // appended to `signals` (suppressed here; the caller forwards them to the body).
  Result<SyscallReply> execute(const SyscallRequest& req, std::vector<siginfo_t>& signals);

  // Handles a stop of the parked deputy reported by waitpid: a signal is recorded into
  // `signals` and the deputy is parked again. Returns false if the deputy is gone.
  Result<bool> on_stop(const proc::StopEvent& e, std::vector<siginfo_t>& signals);

  // Terminates the deputy as the body did: exit_group(status), or death by `sig`.
  Status exit_with_status(int status);
  Status die_by_signal(int sig);

  // Stops the parked deputy for restore (coming home); it stays stopped.
  Status unpark(std::vector<siginfo_t>& signals);
  // Parks it again after an unpark whose restore did not happen.
  Status repark() { return park(); }

 private:
  Deputy(proc::Tracee t, proc::ProcessMemory mem, proc::ScratchArea s, arch::Registers r)
      : t_(std::move(t)), mem_(std::move(mem)), scratch_(s), base_(r) {}
  Status park();

  proc::Tracee t_;
  proc::ProcessMemory mem_;
  proc::ScratchArea scratch_;
  arch::Registers base_;
};

}  // namespace omx::migrate
