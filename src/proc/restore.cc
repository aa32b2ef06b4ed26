#include "proc/restore.h"

#include <asm/prctl.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "base/fault.h"
#include "base/log.h"

#ifndef PR_SET_VMA
#define PR_SET_VMA 0x53564d41
#define PR_SET_VMA_ANON_NAME 0
#endif

namespace omx::proc {
namespace {

constexpr uint64_t kUserTop = 0x7ffffffff000ull;  // 47-bit user address space

auto log() { return log::get("restore"); }

}  // namespace

Status unregister_kernel_pointers(Tracee& t, RemoteSyscaller& rs) {
  __ptrace_rseq_configuration rc{};
  if (ptrace(PTRACE_GET_RSEQ_CONFIGURATION, t.pid(), sizeof rc,
             &rc) < 0)
    return sys_error("ptrace(GET_RSEQ_CONFIGURATION)", t.pid());
  if (rc.rseq_abi_pointer)
    OMX_TRY(rs.call_checked("rseq(unregister)", SYS_rseq,
                            {rc.rseq_abi_pointer, rc.rseq_abi_size, 1 /*RSEQ_FLAG_UNREGISTER*/,
                             rc.signature}));
  OMX_TRY(rs.call_checked("set_robust_list", SYS_set_robust_list, {0, 24}));  // len must be sizeof(robust_list_head)
  OMX_TRY(rs.call_checked("set_tid_address", SYS_set_tid_address, {0}));
  return ok_status();
}

Status unmap_all_but_scratch(RemoteSyscaller& rs) {
  const ScratchArea& s = rs.scratch();
  OMX_TRY(rs.call_checked("munmap(low)", SYS_munmap, {0, s.base}));
  OMX_TRY(rs.call_checked("munmap(high)", SYS_munmap, {s.base + s.size, kUserTop - (s.base + s.size)}));
  return ok_status();
}

namespace {

Status map_vdso(Tracee& t, RemoteSyscaller& rs, const ProcessImage& img) {
  uint64_t lo = UINT64_MAX, vdso = 0, vdso_size = 0;
  for (const ImageVma& iv : img.vmas) {
    if (iv.source != VmaSource::kVdso) continue;
    lo = std::min(lo, iv.vma.start);
    if (iv.vma.path == "[vdso]") {
      vdso = iv.vma.start;
      vdso_size = iv.vma.size();
    }
  }
  if (lo == UINT64_MAX) return ok_status();  // the program unmapped its vDSO: fine
  utsname u{};
  uname(&u);
  if (img.kernel_release != u.release)
    log()->warn("image from kernel {} restored on {}", img.kernel_release, u.release);
  OMX_ASSIGN(uint64_t r, rs.call_checked("arch_prctl(ARCH_MAP_VDSO_64)", SYS_arch_prctl,
                                         {ARCH_MAP_VDSO_64, lo}));
  (void)r;
  OMX_ASSIGN(std::vector<Vma> now, read_vmas(t.pid()));
  for (const Vma& v : now)
    if (v.path == "[vdso]" && v.start == vdso && v.size() == vdso_size) return ok_status();
  return make_error(ErrorCode::kRefused,
                    "vDSO layout differs from the source kernel's (kernel " + img.kernel_release +
                        " vs " + u.release + ")",
                    t.pid());
}

Status map_vma(RemoteSyscaller& rs, const ImageVma& iv) {
  const Vma& v = iv.vma;
  // A read-only shared file view stays shared when the file is here; otherwise its contents
  // travel and it becomes private memory (nobody can write through it anyway).
  bool shared = v.shared && iv.source == VmaSource::kFile;
  uint64_t flags = (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_FIXED | (v.grows_down ? MAP_GROWSDOWN : 0);
  int64_t fd = -1;
  if (iv.source == VmaSource::kFile) {
    OMX_ASSIGN(RemotePtr<char> path, rs.put_string(v.path));
    OMX_ASSIGN(uint64_t f, rs.call_checked("open(mapped file)", SYS_open,
                                           {path.addr(), O_RDONLY | O_CLOEXEC, 0}));
    fd = static_cast<int64_t>(f);
  } else {
    flags |= MAP_ANONYMOUS;
  }
  auto mapped = rs.call_checked("mmap", SYS_mmap,
                                {v.start, v.size(), static_cast<uint64_t>(v.prot()), flags,
                                 static_cast<uint64_t>(fd), iv.source == VmaSource::kFile ? v.offset : 0});
  if (fd >= 0) (void)rs.call(SYS_close, {static_cast<uint64_t>(fd)});
  if (!mapped.ok()) {
    mapped.error().what += fmt::format(" {:#x}-{:#x} {}", v.start, v.end, v.path);
    return std::move(mapped.error());
  }
  if (*mapped != v.start)
    return make_error(ErrorCode::kProtocol, fmt::format("mmap landed at {:#x}", *mapped));
  if (v.path.rfind("[anon:", 0) == 0 && v.path.size() > 7) {
    std::string name = v.path.substr(6, v.path.size() - 7);
    OMX_ASSIGN(RemotePtr<char> np, rs.put_string(name));
    (void)rs.call(SYS_prctl, {PR_SET_VMA, PR_SET_VMA_ANON_NAME, v.start, v.size(), np.addr()});
  }
  return ok_status();
}

Status write_pages(const ProcessMemory& mem, PageSource& pages) {
  uint64_t addr = 0;
  std::span<const uint8_t> data;
  for (;;) {
    OMX_ASSIGN(bool more, pages.next(addr, data));
    if (!more) return ok_status();
    OMX_TRY(mem.write(RemotePtr<void>(addr), data));
  }
}

Status restore_signals(RemoteSyscaller& rs, const ProcessImage& img) {
  for (int sig = 1; sig <= kNumSignals; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    const KernelSigaction& a = img.sigactions[sig - 1];
    OMX_ASSIGN(RemotePtr<void> p, rs.put_struct(a));
    OMX_TRY(rs.call_checked("rt_sigaction", SYS_rt_sigaction,
                            {static_cast<uint64_t>(sig), p.addr(), 0, 8}));
  }
  stack_t ss = img.altstack;
  ss.ss_flags &= ~SS_ONSTACK;  // a state, not a setting
  if (!(ss.ss_flags & SS_DISABLE)) {
    OMX_ASSIGN(RemotePtr<void> p, rs.put_struct(ss));
    OMX_TRY(rs.call_checked("sigaltstack", SYS_sigaltstack, {p.addr(), 0}));
  }
  return ok_status();
}

Status restore_kernel_pointers(RemoteSyscaller& rs, const ProcessImage& img) {
  if (img.rseq.addr)
    OMX_TRY(rs.call_checked("rseq(register)", SYS_rseq,
                            {img.rseq.addr, img.rseq.len, 0, img.rseq.sig}));
  if (img.robust_list)
    OMX_TRY(rs.call_checked("set_robust_list", SYS_set_robust_list,
                            {img.robust_list, img.robust_list_len}));
  OMX_TRY(rs.call_checked("set_tid_address", SYS_set_tid_address, {img.clear_child_tid}));
  return ok_status();
}

// Sets the kernel's program break to `want` in an address space that is empty (but for the
// scratch area): the heap VMA of the image is mapped over it afterwards. If the kernel's break
// stayed behind, glibc would adopt it at its next brk() and later trim live heap away.
// brk() grows only over free space and shrinks only over a mapping (Linux 6.x), so a shrink
// first maps a placeholder over the span it releases.
Status set_kernel_brk(RemoteSyscaller& rs, uint64_t want) {
  OMX_ASSIGN(uint64_t cur, rs.call_checked("brk(0)", SYS_brk, {0}));
  if (arch::page_up(want) < arch::page_up(cur))
    OMX_TRY(rs.call_checked("mmap(brk placeholder)", SYS_mmap,
                            {arch::page_up(want), arch::page_up(cur) - arch::page_up(want), PROT_NONE,
                             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, static_cast<uint64_t>(-1), 0}));
  OMX_ASSIGN(uint64_t now, rs.call_checked("brk", SYS_brk, {want}));
  if (now != want)
    return make_error(ErrorCode::kProtocol, fmt::format("kernel brk is {:#x}, image wants {:#x}", now, want));
  return ok_status();
}

Status restore_misc(RemoteSyscaller& rs, const ProcessImage& img) {
  for (int which = 0; which < 3; ++which) {
    const itimerval& it = img.itimers[which];
    if (!it.it_value.tv_sec && !it.it_value.tv_usec) continue;
    OMX_ASSIGN(RemotePtr<void> p, rs.put_struct(it));
    OMX_TRY(rs.call_checked("setitimer", SYS_setitimer, {static_cast<uint64_t>(which), p.addr(), 0}));
  }
  for (int r = 0; r < RLIM_NLIMITS; ++r) {
    OMX_ASSIGN(RemotePtr<void> p, rs.put_struct(img.rlimits[r]));
    int64_t res = 0;
    OMX_ASSIGN(res, rs.call(SYS_prlimit64, {0, static_cast<uint64_t>(r), p.addr(), 0}));
    if (res < 0) log()->debug("rlimit {} not restored: {}", r, strerror(static_cast<int>(-res)));
  }
  OMX_TRY(rs.call_checked("personality", SYS_personality, {img.personality}));
  OMX_TRY(rs.call_checked("umask", SYS_umask, {img.umask}));
  OMX_ASSIGN(RemotePtr<char> comm, rs.put_string(img.comm.substr(0, 15)));
  OMX_TRY(rs.call_checked("prctl(PR_SET_NAME)", SYS_prctl, {PR_SET_NAME, comm.addr()}));
  return ok_status();
}

Status restore_pending(Tracee& t, RemoteSyscaller& rs, const ProcessImage& img) {
  if (img.pending.empty()) return ok_status();
  OMX_TRY(t.set_sigmask(~0ull));  // keep them pending until the image's own mask is set
  for (const siginfo_t& si : img.pending) {
    OMX_ASSIGN(RemotePtr<void> p, rs.put_struct(si));
    OMX_TRY(rs.call_checked("rt_tgsigqueueinfo", SYS_rt_tgsigqueueinfo,
                            {static_cast<uint64_t>(t.pid()), static_cast<uint64_t>(t.pid()),
                             static_cast<uint64_t>(si.si_signo), p.addr()}));
  }
  return ok_status();
}

Status drop_credentials(RemoteSyscaller& rs, const Credentials& c) {
  std::span<const uint8_t> g(reinterpret_cast<const uint8_t*>(c.groups.data()),
                             c.groups.size() * sizeof(gid_t));
  OMX_ASSIGN(RemotePtr<void> gp, rs.put(g));
  OMX_TRY(rs.call_checked("setgroups", SYS_setgroups, {c.groups.size(), gp.addr()}));
  OMX_TRY(rs.call_checked("setresgid", SYS_setresgid, {c.gid, c.gid, c.gid}));
  OMX_TRY(rs.call_checked("setresuid", SYS_setresuid, {c.uid, c.uid, c.uid}));
  return ok_status();
}

Status install_filter(RemoteSyscaller& rs, const std::vector<sock_filter>& prog) {
  OMX_TRY(rs.call_checked("prctl(NO_NEW_PRIVS)", SYS_prctl, {PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0}));
  std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(prog.data()),
                                 prog.size() * sizeof(sock_filter));
  OMX_ASSIGN(RemotePtr<void> code, rs.put(bytes, 64));
  struct {
    uint16_t len;
    uint16_t pad[3];
    uint64_t filter;
  } fprog{static_cast<uint16_t>(prog.size()), {}, code.addr()};
  OMX_ASSIGN(RemotePtr<void> fp, rs.put_struct(fprog));
  OMX_TRY(rs.call_checked("seccomp(SET_MODE_FILTER)", SYS_seccomp,
                          {SECCOMP_SET_MODE_FILTER, 0, fp.addr()}));
  return ok_status();
}

// A relative sleep interrupted by the move restarts with the time that was left at capture
// (arch::Registers::rewind_interrupted_syscall). The process was frozen since: take that time
// off, so it wakes when it would have natively. CLOCK_REALTIME, as the capture may have been on
// another node (nodes' clocks agree through NTP; a skew shortens or lengthens by that much, and
// a clock behind the capture's counts as no time passed).
Status shorten_interrupted_sleep(const ProcessMemory& mem, const ProcessImage& image) {
  if (!image.sleep_timespec || !image.captured_realtime_ns) return ok_status();
  timespec now{}, left{};
  clock_gettime(CLOCK_REALTIME, &now);
  uint64_t now_ns = static_cast<uint64_t>(now.tv_sec) * 1000000000ull + static_cast<uint64_t>(now.tv_nsec);
  uint64_t passed = now_ns > image.captured_realtime_ns ? now_ns - image.captured_realtime_ns : 0;
  auto at = RemotePtr<void>(image.sleep_timespec);
  OMX_TRY(mem.read(at, std::span<uint8_t>(reinterpret_cast<uint8_t*>(&left), sizeof left)));
  if (left.tv_sec < 0 || left.tv_nsec < 0 || left.tv_nsec >= 1000000000)
    return ok_status();  // the re-made call fails with EINVAL, as it would natively
  uint64_t left_ns = static_cast<uint64_t>(left.tv_sec) * 1000000000ull + static_cast<uint64_t>(left.tv_nsec);
  left_ns = left_ns > passed ? left_ns - passed : 0;
  left.tv_sec = static_cast<time_t>(left_ns / 1000000000ull);
  left.tv_nsec = static_cast<long>(left_ns % 1000000000ull);
  return mem.write(at, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(&left), sizeof left));
}

}  // namespace

uint64_t find_free_range(const ProcessImage& image, uint64_t size) {
  // Try a few well-separated candidates below the usual mmap base; the first free one wins.
  for (uint64_t cand = 0x100000000000ull; cand + size < kUserTop; cand += 0x10000000000ull) {
    bool clash = false;
    for (const ImageVma& iv : image.vmas)
      if (iv.vma.start < cand + size + arch::kPageSize && cand < iv.vma.end + arch::kPageSize) clash = true;
    if (!clash) return cand;
  }
  return 0;
}

Result<RestoreHost> spawn_restore_host(const ProcessImage& image, uint64_t scratch_size) {
  uint64_t base = find_free_range(image, scratch_size);
  if (!base) return make_error(ErrorCode::kRefused, "no free address range for the scratch area");
  int go[2];
  if (pipe2(go, O_CLOEXEC) != 0) return sys_error("pipe2");
  pid_t child = fork();
  if (child < 0) return sys_error("fork");
  if (child == 0) {
    // Child: raw syscalls only. Map the scratch area, wait until traced, stop.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    // The body must not inherit its host's descriptors (a guest supervisor's wire socket,
    // signalfd, ...; CLOEXEC does not help, nothing is exec'ed): its descriptors are the
    // deputy's at home, and a call made here on a stray one would reach the supervisor's.
    // 0-2 stay (the host's /dev/null or log); go[0] is closed once read.
    if (go[0] > 3) close_range(3, go[0] - 1, 0);
    close_range(go[0] + 1, ~0U, 0);
    void* p = mmap(reinterpret_cast<void*>(base), scratch_size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p != reinterpret_cast<void*>(base)) _exit(126);
    std::memcpy(p, scratch_code().data(), scratch_code().size());
    if (mprotect(p, arch::kPageSize, PROT_READ | PROT_EXEC) != 0) _exit(126);
    char c;
    close(go[1]);  // already closed above unless pipe2 gave it the lower number
    if (read(go[0], &c, 1) != 1) _exit(126);
    close(go[0]);
    raise(SIGSTOP);
    _exit(127);
  }
  close(go[0]);
  auto t = Tracee::seize(child);
  char c = 1;
  bool wrote = t.ok() && write(go[1], &c, 1) == 1;
  close(go[1]);
  if (!wrote) {
    kill(child, SIGKILL);
    waitpid(child, nullptr, __WALL);
    return t.ok() ? sys_error("write(go pipe)", child) : std::move(t.error());
  }
  OMX_ASSIGN(StopEvent e, t->wait());
  if (e.kind != StopEvent::Kind::kSignal || e.sig != SIGSTOP) {
    t->release();
    kill(child, SIGKILL);
    waitpid(child, nullptr, __WALL);
    return make_error(ErrorCode::kProtocol, "restore host did not stop as expected", child);
  }
  RestoreHost host{std::move(*t), ScratchArea{base, scratch_size}, {}};
  OMX_ASSIGN(host.regs, host.tracee.get_regs());
  return host;
}

Status restore_into(Tracee& t, const ProcessMemory& mem, const ScratchArea& scratch,
                    const arch::Registers& base, const ProcessImage& image, PageSource& pages,
                    const RestoreOptions& opts) {
  OMX_TRY(fault::check("restore.begin"));
  for (const ImageVma& iv : image.vmas)
    if (iv.vma.start < scratch.base + scratch.size && scratch.base < iv.vma.end)
      return make_error(ErrorCode::kInvalid, "image overlaps the scratch area", t.pid());
  RemoteSyscaller rs(t, mem, scratch, base);
  OMX_TRY(unregister_kernel_pointers(t, rs));
  OMX_TRY(unmap_all_but_scratch(rs));
  if (!opts.emulated_brk) OMX_TRY(set_kernel_brk(rs, image.brk));
  OMX_TRY(map_vdso(t, rs, image));
  for (const ImageVma& iv : image.vmas)
    if (iv.source != VmaSource::kVdso) OMX_TRY(map_vma(rs, iv));
  OMX_TRY(fault::check("restore.pages"));
  OMX_TRY(write_pages(mem, pages));
  OMX_TRY(restore_signals(rs, image));
  OMX_TRY(restore_kernel_pointers(rs, image));
  OMX_TRY(restore_misc(rs, image));
  OMX_TRY(restore_pending(t, rs, image));
  if (opts.creds) OMX_TRY(drop_credentials(rs, *opts.creds));
  if (!opts.seccomp_filter.empty()) OMX_TRY(install_filter(rs, opts.seccomp_filter));
  OMX_TRY(fault::check("restore.finish"));
  OMX_TRY(rs.call_unmapping_self(SYS_munmap, {scratch.base, scratch.size}));
  OMX_TRY(t.set_xstate(image.xstate));
  OMX_TRY(t.set_sigmask(image.sigmask));
  OMX_TRY(t.set_regs(image.regs));
  OMX_TRY(shorten_interrupted_sleep(mem, image));
  if (!rs.deferred().empty())
    log()->warn("{} signal(s) arrived at the restore host and were dropped", rs.deferred().size());
  return ok_status();
}

}  // namespace omx::proc
