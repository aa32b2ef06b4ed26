// Deputy: the original process at home while its body runs elsewhere (ARCHITECTURE §1). Its
// address space is emptied except a scratch area; it is parked in rt_sigsuspend(empty set), so
// any signal sent to it produces a signal-delivery-stop the home supervisor sees and forwards.
// Forwarded system calls are executed in it by injection (first step; target: an injected
// deputy loop without a ptrace stop per call). A call runs asynchronously: start() injects it
// and returns; its end arrives as a stop the supervisor's waitpid sees (on_stop). So a deputy
// blocked in wait4 or read never holds up the other processes of the tree.
//
// Kernel objects stay real: pid, parent, fds, cwd, credentials, terminal. Single-threaded:
// used only by the home supervisor's thread (the tracer).
#pragma once

#include <signal.h>

#include <optional>
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

  // Starts a forwarded call in the parked deputy. Signals met on the way are appended to
  // `signals` (suppressed here; the caller forwards them to the body). An immediate answer
  // (e.g. E2BIG) is returned instead of starting anything.
  Result<std::optional<SyscallReply>> start(SyscallRequest req, std::vector<siginfo_t>& signals);
  bool busy() const { return call_.has_value() || held_.has_value(); }
  // Interrupts the call in flight (a signal the body handles arrived): it ends with the
  // kernel's restart code (-ERESTARTSYS...), or -ERESTARTNOINTR if it had not started, or its
  // real result if it finished first. No-op when idle.
  Status cancel();

  // What a stop of the deputy (reported by waitpid) meant.
  struct Event {
    bool gone = false;                  // the deputy died (e.g. SIGKILL)
    std::optional<SyscallReply> reply;  // a started call completed
  };
  // Handles a stop: a signal is recorded into `signals` (the deputy goes on: parked, or its
  // call restarts); the end of a call yields its reply and parks the deputy again.
  Result<Event> on_stop(const proc::StopEvent& e, std::vector<siginfo_t>& signals);

  // The body stopped by job control (SIGTSTP, SIGTTIN, SIGTTOU): stop the deputy the same
  // way, so its parent (the shell) sees the job stopped with that signal.
  Status stop_like_body(int sig);

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
  Result<SyscallReply> collect(int64_t result);
  // Where the deputy stops once a call's `syscall; int3` has run: just past the int3.
  uint64_t call_done_ip() const { return scratch_.insn() + arch::kSyscallInsnSize + 1; }

  // A forwarded call in progress: its buffers (input data dropped once written into the
  // deputy) and where they are in the deputy.
  struct Call {
    SyscallRequest req;
    std::vector<uint64_t> addr;
  };

  proc::Tracee t_;
  proc::ProcessMemory mem_;
  proc::ScratchArea scratch_;
  arch::Registers base_;
  std::optional<Call> call_;
  bool cancel_ = false;
  int own_stop_ = 0;  // a stop signal we sent it ourselves: let it act, do not forward it
  bool stopped_ = false;  // in a job-control stop: a call must wait for SIGCONT
  std::optional<SyscallRequest> held_;  // the call that arrived while stopped
};

}  // namespace omx::migrate
