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

auto log() { return log::get("deputy"); }

uint64_t align16(uint64_t v) { return (v + 15) & ~uint64_t{15}; }

}  // namespace

Result<Deputy> Deputy::become(proc::Tracee t, proc::ScratchArea scratch,
                              const arch::Registers& regs) {
  OMX_ASSIGN(proc::ProcessMemory mem, proc::ProcessMemory::open(t.pid()));
  {
    proc::RemoteSyscaller rs(t, mem, scratch, regs);
    OMX_TRY(proc::unregister_kernel_pointers(t, rs));
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

Status Deputy::unpark(std::vector<siginfo_t>& signals) { return t_.stop(&signals); }

Result<SyscallReply> Deputy::execute(const SyscallRequest& req, std::vector<siginfo_t>& signals) {
  OMX_TRY(unpark(signals));
  // Lay the buffers out in the scratch data area.
  std::vector<uint64_t> addr(req.bufs.size());
  uint64_t off = 0;
  for (size_t i = 0; i < req.bufs.size(); ++i) {
    addr[i] = scratch_.data().addr() + off;
    off = align16(off + std::max<uint64_t>(req.bufs[i].capacity, req.bufs[i].data.size()));
  }
  if (off > scratch_.data_size()) {
    OMX_TRY(park());
    return SyscallReply{-E2BIG, {}};
  }
  for (size_t i = 0; i < req.bufs.size(); ++i) {
    const SyscallBuffer& b = req.bufs[i];
    if (!b.data.empty()) OMX_TRY(mem_.write(RemotePtr<void>(addr[i]), b.data));
  }
  for (const PointerPatch& p : req.patches) {
    if (p.buffer >= addr.size() || p.target >= addr.size() ||
        p.offset + 8 > req.bufs[p.buffer].capacity)
      return make_error(ErrorCode::kProtocol, "syscall request: bad pointer patch");
    uint64_t a = addr[p.target];
    OMX_TRY(mem_.write(RemotePtr<void>(addr[p.buffer] + p.offset),
                       std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(&a), 8)));
  }
  std::array<uint64_t, 6> args = req.args;
  for (size_t i = 0; i < req.bufs.size(); ++i)
    if (req.bufs[i].arg < 6) args[req.bufs[i].arg] = addr[i];
  proc::RemoteSyscaller rs(t_, mem_, scratch_, base_);
  OMX_ASSIGN(int64_t result, rs.call(req.nr, {args[0], args[1], args[2], args[3], args[4], args[5]}));
  signals.insert(signals.end(), rs.deferred().begin(), rs.deferred().end());
  SyscallReply reply{result, {}};
  // Result-limited buffers share the byte count the call returned, in request order (one
  // buffer for read(), one per iovec for readv()).
  uint64_t remaining = result < 0 ? 0 : static_cast<uint64_t>(result);
  for (size_t i = 0; i < req.bufs.size(); ++i) {
    const SyscallBuffer& b = req.bufs[i];
    if (!b.returns_data()) continue;
    uint64_t n = result < 0 ? 0 : b.capacity;  // a failed call returns no data
    if (b.len_is_result) {
      n = std::min<uint64_t>(remaining, b.capacity);
      remaining -= n;
    }
    std::vector<uint8_t> data(n);
    if (n) OMX_TRY(mem_.read(RemotePtr<void>(addr[i]), data));
    reply.out.push_back(std::move(data));
  }
  OMX_TRY(park());
  return reply;
}

Result<bool> Deputy::on_stop(const proc::StopEvent& e, std::vector<siginfo_t>& signals) {
  using K = proc::StopEvent::Kind;
  switch (e.kind) {
    case K::kExited:
    case K::kKilled:
      return false;
    case K::kSignal: {
      OMX_ASSIGN(siginfo_t si, t_.get_siginfo());
      signals.push_back(si);
      // SIGSTOP cannot be caught by the program: let the deputy really stop so the parent
      // (the shell) sees it stopped; the body is stopped through the forwarded signal.
      OMX_TRY(t_.cont(e.sig == SIGSTOP ? SIGSTOP : 0));
      return true;
    }
    case K::kGroupStop:
      OMX_TRY(t_.listen());  // stay stopped; SIGCONT will wake it and be reported
      return true;
    case K::kInterrupt:
    case K::kEvent:
    case K::kSyscall:
      OMX_TRY(park());
      return true;
  }
  return true;
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
