#include "migrate/deputy.h"

#include <sys/syscall.h>

#include <algorithm>

#include <fmt/format.h>

#include "base/fault.h"
#include "base/log.h"
#include "proc/restore.h"

namespace omx::migrate {
namespace {

// An all-zero sigset inside the scratch code page (which is otherwise zero past the code):
// rt_sigsuspend's mask while parked, so every signal wakes the deputy.
constexpr uint64_t kEmptyMaskOffset = 0x100;

uint64_t align16(uint64_t v) { return (v + 15) & ~uint64_t{15}; }

auto log() { return log::get("deputy"); }

}  // namespace

Result<Deputy> Deputy::become(proc::Tracee t, proc::ScratchArea scratch,
                              const arch::Registers& regs) {
  OMX_ASSIGN(proc::ProcessMemory mem, proc::ProcessMemory::open(t.pid()));
  {
    proc::RemoteSyscaller rs(t, mem, scratch, regs);
    OMX_TRY(proc::unregister_kernel_pointers(t, rs));
    // Every signal sent to the deputy is caught by ptrace and forwarded, so its own
    // dispositions only matter for the stops we let act (stop_like_body): make those default.
    proc::KernelSigaction dfl{};
    OMX_ASSIGN(RemotePtr<void> p, rs.put_struct(dfl));
    for (int sig : {SIGTSTP, SIGTTIN, SIGTTOU})
      OMX_TRY(rs.call_checked("rt_sigaction(SIG_DFL)", SYS_rt_sigaction,
                              {static_cast<uint64_t>(sig), p.addr(), 0, 8}));
    OMX_TRY(proc::unmap_all_but_scratch(rs));
  }
  Deputy d(std::move(t), std::move(mem), scratch, regs);
  OMX_TRY(d.park());
  return d;
}

Status Deputy::park() {
  arch::Registers r = base_;
  uint64_t args[2] = {scratch_.base + kEmptyMaskOffset, 8};
  r.setup_syscall(scratch_.insn(), SYS_rt_sigsuspend, args, 2);
  OMX_TRY(t_.set_regs(r));
  return t_.cont(0);
}

Status Deputy::unpark(std::vector<siginfo_t>& signals) {
  OMX_ASSIGN(proc::StopEvent e, t_.stop(&signals));
  (void)e;  // a parked deputy has no events of its own: any stop will do for injection
  return ok_status();
}

Result<std::optional<SyscallReply>> Deputy::start(SyscallRequest req,
                                                  std::vector<siginfo_t>& signals) {
  OMX_CHECK(!call_ && !held_, "deputy %d: a call is already running", t_.pid());
  if (stopped_) {  // job-control stopped (the parent was told so): the call waits for SIGCONT
    held_ = std::move(req);
    return std::optional<SyscallReply>();
  }
  size_t before = signals.size();
  OMX_ASSIGN(proc::StopEvent stop, t_.stop(&signals));
  if (stop.kind == proc::StopEvent::Kind::kGroupStop) {
    // Kernel quirk met here: on_stop() let a SIGSTOP act (PTRACE_CONT with SIGSTOP), so the
    // deputy entered its group stop and its parent was told "stopped", but the supervisor had
    // not yet reaped that PTRACE_EVENT_STOP when this request came. The PTRACE_INTERRUPT/
    // waitpid of t_.stop() reaps it instead (a trap in a stopped group reports the stop
    // signal, not SIGTRAP). Injecting now would PTRACE_CONT the deputy out of its job-control
    // stop: it would run at home while its parent believes it stopped, and nothing would stop
    // it again. Do what on_stop() does for that event (stay stopped, listen), and hold the
    // call until SIGCONT, as when the stop was seen first.
    log()->debug("deputy {}: call {} arrived as it entered a job-control stop; held", t_.pid(),
                 req.nr);
    stopped_ = true;
    held_ = std::move(req);
    OMX_TRY(t_.listen());
    return std::optional<SyscallReply>();
  }
  // A SIGSTOP held back while we stopped it must still stop it (the parent must see the
  // stop): raise it again once the call is under way; it is not forwarded twice.
  bool restop = std::any_of(signals.begin() + static_cast<long>(before), signals.end(),
                            [](const siginfo_t& si) { return si.si_signo == SIGSTOP; });
  // Lay the buffers out in the scratch data area.
  Call call{std::move(req), {}};
  call.addr.resize(call.req.bufs.size());
  uint64_t off = 0;
  for (size_t i = 0; i < call.req.bufs.size(); ++i) {
    call.addr[i] = scratch_.data().addr() + off;
    off = align16(off + std::max<uint64_t>(call.req.bufs[i].capacity, call.req.bufs[i].data.size()));
  }
  if (off > scratch_.data_size()) {
    OMX_TRY(park());
    return std::optional<SyscallReply>(SyscallReply{-E2BIG, {}});
  }
  for (size_t i = 0; i < call.req.bufs.size(); ++i) {
    const SyscallBuffer& b = call.req.bufs[i];
    if (!b.data.empty()) OMX_TRY(mem_.write(RemotePtr<void>(call.addr[i]), b.data));
  }
  for (const PointerPatch& p : call.req.patches) {  // indexes and offsets checked by decode
    uint64_t a = call.addr[p.target];
    OMX_TRY(mem_.write(RemotePtr<void>(call.addr[p.buffer] + p.offset),
                       std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(&a), 8)));
  }
  std::array<uint64_t, 6> args = call.req.args;
  for (size_t i = 0; i < call.req.bufs.size(); ++i)
    if (call.req.bufs[i].arg < 6) args[call.req.bufs[i].arg] = call.addr[i];
  arch::Registers r = base_;
  r.setup_syscall(scratch_.insn(), call.req.nr, args.data(), 6);
  OMX_TRY(t_.set_regs(r));
  OMX_TRY(t_.cont(0));
  for (SyscallBuffer& b : call.req.bufs) std::vector<uint8_t>().swap(b.data);  // in the deputy now
  call_ = std::move(call);
  if (restop) {
    own_stop_ = SIGSTOP;
    if (::syscall(SYS_tgkill, t_.pid(), t_.pid(), SIGSTOP) != 0) return sys_error("tgkill(deputy)", t_.pid());
  }
  return std::optional<SyscallReply>();
}

Status Deputy::cancel() {
  if (!call_ || cancel_) return ok_status();
  cancel_ = true;
  return t_.interrupt();
}

// The call ended with `result`: read its output buffers and park the deputy again.
Result<SyscallReply> Deputy::collect(int64_t result) {
  Call call = std::move(*call_);
  call_.reset();
  cancel_ = false;
  SyscallReply reply{result, {}};
  // Result-limited buffers share the byte count the call returned, in request order (one
  // buffer for read(), one per iovec for readv()).
  uint64_t remaining = result < 0 ? 0 : static_cast<uint64_t>(result);
  for (size_t i = 0; i < call.req.bufs.size(); ++i) {
    const SyscallBuffer& b = call.req.bufs[i];
    if (!b.returns_data()) continue;
    uint64_t n = result < 0 ? 0 : b.capacity;  // a failed call returns no data
    if (b.len_is_result) {
      n = std::min<uint64_t>(remaining, b.capacity);
      remaining -= n;
    }
    std::vector<uint8_t> data(n);
    if (n) OMX_TRY(mem_.read(RemotePtr<void>(call.addr[i]), data));
    reply.out.push_back(std::move(data));
  }
  OMX_TRY(park());
  return reply;
}

Result<Deputy::Event> Deputy::on_stop(const proc::StopEvent& e, std::vector<siginfo_t>& signals) {
  using K = proc::StopEvent::Kind;
  Event ev;
  log()->debug("deputy {}: stop kind {} sig {} (call {}, stopped {})", t_.pid(),
               static_cast<int>(e.kind), e.sig, call_.has_value(), stopped_);
  switch (e.kind) {
    case K::kExited:
    case K::kKilled:
      t_.release();
      ev.gone = true;
      return ev;
    case K::kSignal: {
      if (call_ && e.sig == SIGTRAP) {
        OMX_ASSIGN(arch::Registers r, t_.get_regs());
        if (r.ip() == call_done_ip()) {  // our int3: call done
          OMX_ASSIGN(ev.reply, collect(r.result()));
          return ev;
        }
      }
      if (e.sig == own_stop_) {  // stop_like_body(): let it stop the deputy, natively
        own_stop_ = 0;
        OMX_TRY(t_.cont(e.sig));
        return ev;
      }
      OMX_ASSIGN(siginfo_t si, t_.get_siginfo());
      signals.push_back(si);
      // SIGSTOP cannot be caught by the program: let the deputy really stop so the parent
      // (the shell) sees it stopped; the body is stopped through the forwarded signal. Any
      // other signal is suppressed: an interrupted call restarts, a parked deputy re-parks.
      OMX_TRY(t_.cont(e.sig == SIGSTOP ? SIGSTOP : 0));
      if (e.sig == SIGCONT && stopped_) {  // the job-control stop is over
        stopped_ = false;
        if (held_) {
          SyscallRequest req = std::move(*held_);
          held_.reset();
          OMX_ASSIGN(ev.reply, start(std::move(req), signals));
        }
      }
      return ev;
    }
    case K::kGroupStop:
      stopped_ = true;
      OMX_TRY(t_.listen());  // stay stopped; SIGCONT will wake it and be reported
      return ev;
    case K::kInterrupt:
      if (call_ && cancel_) {  // our cancel(): the call ends here
        OMX_ASSIGN(arch::Registers r, t_.get_regs());
        if (r.ip() == call_done_ip()) {
          // Kernel quirk: the call finished and its int3 already ran, but get_signal()
          // reports a pending PTRACE_INTERRUPT trap before it dequeues signals, so the int3's
          // SIGTRAP is still queued behind this stop. Resume: that SIGTRAP stop completes the
          // call as usual. (Collecting here left the SIGTRAP to be taken for a signal sent to
          // the deputy and forwarded to the body, which it killed.)
          log()->debug("deputy {}: cancel met a finished call; its SIGTRAP completes it", t_.pid());
          OMX_TRY(t_.cont(0));
          return ev;
        }
        int64_t result = r.ip() == scratch_.insn() ? arch::kERestartNoIntr  // not entered yet
                                                   : r.result();  // restart code or real result
        OMX_ASSIGN(ev.reply, collect(result));
        return ev;
      }
      [[fallthrough]];
    case K::kEvent:
    case K::kSyscall:
      if (call_) OMX_TRY(t_.cont(0));
      else OMX_TRY(park());
      return ev;
  }
  return ev;
}

Status Deputy::stop_like_body(int sig) {
  if (sig != SIGTSTP && sig != SIGTTIN && sig != SIGTTOU) return ok_status();  // SIGSTOP: done
  own_stop_ = sig;
  if (::syscall(SYS_tgkill, t_.pid(), t_.pid(), sig) != 0) return sys_error("tgkill(deputy)", t_.pid());
  return ok_status();
}

Status Deputy::exit_with_status(int status) {
  std::vector<siginfo_t> ignored;
  OMX_TRY(unpark(ignored));
  arch::Registers r = base_;
  uint64_t args[1] = {static_cast<uint64_t>(status)};
  r.setup_syscall(scratch_.insn(), SYS_exit_group, args, 1);
  OMX_TRY(t_.set_regs(r));
  OMX_TRY(t_.cont(0));
  for (;;) {
    OMX_ASSIGN(proc::StopEvent e, t_.wait());
    if (e.gone()) return ok_status();
    OMX_TRY(t_.cont(0));
  }
}

Status Deputy::die_by_signal(int sig) {
  std::vector<siginfo_t> ignored;
  OMX_TRY(unpark(ignored));
  {
    proc::RemoteSyscaller rs(t_, mem_, scratch_, base_);
    proc::KernelSigaction dfl{};
    OMX_ASSIGN(RemotePtr<void> p, rs.put_struct(dfl));
    (void)rs.call(SYS_rt_sigaction, {static_cast<uint64_t>(sig), p.addr(), 0, 8});
    uint64_t set = 1ull << (sig - 1);
    OMX_ASSIGN(RemotePtr<void> m, rs.put_struct(set));
    (void)rs.call(SYS_rt_sigprocmask, {SIG_UNBLOCK, m.addr(), 0, 8});
    rlimit nocore{0, 0};  // its memory is gone: a core file would be meaningless
    OMX_ASSIGN(RemotePtr<void> l, rs.put_struct(nocore));
    (void)rs.call(SYS_prlimit64, {0, RLIMIT_CORE, l.addr(), 0});
  }
  arch::Registers r = base_;
  uint64_t args[3] = {static_cast<uint64_t>(t_.pid()), static_cast<uint64_t>(t_.pid()),
                      static_cast<uint64_t>(sig)};
  r.setup_syscall(scratch_.insn(), SYS_tgkill, args, 3);
  OMX_TRY(t_.set_regs(r));
  int pass = 0;
  for (;;) {
    OMX_TRY(t_.cont(pass));
    OMX_ASSIGN(proc::StopEvent e, t_.wait());
    if (e.gone()) return ok_status();
    pass = (e.kind == proc::StopEvent::Kind::kSignal && e.sig == sig) ? sig : 0;
  }
}

}  // namespace omx::migrate
