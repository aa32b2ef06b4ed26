#include "proc/remote_syscall.h"

#include <sys/mman.h>
#include <sys/syscall.h>

#include <array>

#include <fmt/format.h>

#include "base/log.h"

namespace omx::proc {
namespace {

// syscall; int3; then int3 padding.
constexpr std::array<uint8_t, 8> kCode = {0x0f, 0x05, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc};

}  // namespace

std::span<const uint8_t> scratch_code() { return kCode; }

RemoteSyscaller::RemoteSyscaller(Tracee& t, const ProcessMemory& mem, ScratchArea scratch,
                                 const arch::Registers& base)
    : t_(t), mem_(mem), scratch_(scratch), base_(base) {}

Result<StopEvent> RemoteSyscaller::run_until_stop(int64_t no) {
  for (;;) {
    OMX_TRY(t_.cont(0));
    OMX_ASSIGN(StopEvent e, t_.wait());
    switch (e.kind) {
      case StopEvent::Kind::kSignal:
        if (e.sig == SIGTRAP || e.sig == SIGSEGV) return e;
        {
          OMX_ASSIGN(siginfo_t si, t_.get_siginfo());
          deferred_.push_back(si);
        }
        continue;  // suppressed; an interrupted call is restarted by the kernel
      case StopEvent::Kind::kEvent:      // e.g. our own seccomp filter trapping the call
      case StopEvent::Kind::kSyscall:
      case StopEvent::Kind::kInterrupt:  // a stale PTRACE_INTERRUPT
      case StopEvent::Kind::kGroupStop:
        continue;
      case StopEvent::Kind::kExited:
      case StopEvent::Kind::kKilled:
        return make_error(ErrorCode::kVanished, fmt::format("injected syscall {}", no), t_.pid());
    }
  }
}

Result<int64_t> RemoteSyscaller::call(int64_t no, std::initializer_list<uint64_t> args) {
  arch::Registers r = base_;
  r.setup_syscall(scratch_.insn(), no, args.begin(), static_cast<int>(args.size()));
  OMX_TRY(t_.set_regs(r));
  OMX_ASSIGN(StopEvent e, run_until_stop(no));
  OMX_ASSIGN(arch::Registers after, t_.get_regs());
  if (e.sig != SIGTRAP || after.ip() != scratch_.insn() + arch::kSyscallInsnSize + 1)
    return make_error(ErrorCode::kProtocol,
                      fmt::format("injected syscall {} stopped with signal {} at {:#x}", no,
                                  e.sig, after.ip()),
                      t_.pid());
  return after.result();
}

Result<uint64_t> RemoteSyscaller::call_checked(const char* what, int64_t no,
                                               std::initializer_list<uint64_t> args) {
  OMX_ASSIGN(int64_t r, call(no, args));
  if (r < 0 && r >= -4095) return sys_error(fmt::format("remote {}", what), t_.pid(), static_cast<int>(-r));
  return static_cast<uint64_t>(r);
}

Status RemoteSyscaller::call_unmapping_self(int64_t no, std::initializer_list<uint64_t> args) {
  arch::Registers r = base_;
  r.setup_syscall(scratch_.insn(), no, args.begin(), static_cast<int>(args.size()));
  OMX_TRY(t_.set_regs(r));
  OMX_ASSIGN(StopEvent e, run_until_stop(no));
  if (e.sig != SIGSEGV)
    return make_error(ErrorCode::kProtocol,
                      fmt::format("self-unmapping syscall {} ended with signal {}", no, e.sig),
                      t_.pid());
  return ok_status();
}

Result<RemotePtr<void>> RemoteSyscaller::put(std::span<const uint8_t> bytes, uint64_t offset) {
  if (offset + bytes.size() > scratch_.data_size())
    return make_error(ErrorCode::kInvalid, "scratch area too small", t_.pid());
  RemotePtr<void> at = scratch_.data() + static_cast<int64_t>(offset);
  OMX_TRY(mem_.write(at, bytes));
  return at;
}

Result<RemotePtr<char>> RemoteSyscaller::put_string(const std::string& s, uint64_t offset) {
  OMX_ASSIGN(RemotePtr<void> at,
             put(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.c_str()), s.size() + 1),
                 offset));
  return at.cast<char>();
}

Result<ScratchArea> create_scratch(Tracee& t, const ProcessMemory& mem,
                                   const std::vector<Vma>& vmas, const arch::Registers& regs,
                                   uint64_t size, std::vector<siginfo_t>* deferred) {
  const Vma* text = nullptr;
  for (const Vma& v : vmas) {
    if (v.exec && !v.special()) {
      text = &v;
      break;
    }
  }
  if (!text) return make_error(ErrorCode::kRefused, "no executable mapping to inject through", t.pid());
  std::array<uint8_t, 8> saved{};
  OMX_TRY(mem.read(RemotePtr<void>(text->start), saved));
  OMX_TRY(mem.write(RemotePtr<void>(text->start), kCode));
  // From here on, the original bytes must be put back whatever happens.
  ScratchArea tmp{text->start, 0};
  RemoteSyscaller rs(t, mem, tmp, regs);
  auto made = [&]() -> Result<ScratchArea> {
    OMX_ASSIGN(uint64_t base, rs.call_checked("mmap(scratch)", SYS_mmap,
                                              {0, size, PROT_READ | PROT_WRITE,
                                               MAP_PRIVATE | MAP_ANONYMOUS,
                                               static_cast<uint64_t>(-1), 0}));
    ScratchArea area{base, size};
    OMX_TRY(mem.write(RemotePtr<void>(area.base), kCode));
    OMX_TRY(rs.call_checked("mprotect(scratch)", SYS_mprotect,
                            {area.base, arch::kPageSize, PROT_READ | PROT_EXEC}));
    return area;
  }();
  Status restored = mem.write(RemotePtr<void>(text->start), saved);
  if (deferred) deferred->insert(deferred->end(), rs.deferred().begin(), rs.deferred().end());
  if (!made.ok()) return std::move(made.error());
  OMX_TRY(restored);
  ScratchArea area = *made;
  return area;
}

}  // namespace omx::proc
