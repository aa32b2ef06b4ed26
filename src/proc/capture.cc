#include "proc/capture.h"

#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/utsname.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "base/fault.h"
#include "base/log.h"

namespace omx::proc {
namespace {

constexpr size_t kRunBytes = 1 << 20;  // pages are read and sent in runs of up to 1 MiB

Result<std::string> read_small_file(const std::string& path, pid_t pid) {
  std::ifstream in(path);
  if (!in) return make_error(ErrorCode::kVanished, "read " + path, pid);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// /proc/PID/stat: fields after the parenthesised comm; returns field n (1-based, as in proc(5)).
Result<uint64_t> stat_field(pid_t pid, int n) {
  OMX_ASSIGN(std::string s, read_small_file(fmt::format("/proc/{}/stat", pid), pid));
  size_t rp = s.rfind(')');
  if (rp == std::string::npos) return make_error(ErrorCode::kProtocol, "parse stat", pid);
  std::istringstream in(s.substr(rp + 2));
  std::string f;
  for (int i = 3; i <= n; ++i)
    if (!(in >> f)) return make_error(ErrorCode::kProtocol, "parse stat", pid);
  return std::stoull(f);
}

Status capture_signals(Tracee& t, RemoteSyscaller& rs, ProcessImage& img) {
  for (int sig = 1; sig <= kNumSignals; ++sig) {
    OMX_TRY(rs.call_checked("rt_sigaction", SYS_rt_sigaction,
                            {static_cast<uint64_t>(sig), 0, rs.scratch().data().addr(), 8}));
    OMX_ASSIGN(img.sigactions[sig - 1], rs.get_struct<KernelSigaction>(rs.scratch().data()));
  }
  OMX_TRY(rs.call_checked("sigaltstack", SYS_sigaltstack, {0, rs.scratch().data().addr()}));
  OMX_ASSIGN(img.altstack, rs.get_struct<stack_t>(rs.scratch().data()));
  OMX_ASSIGN(img.sigmask, t.get_sigmask());
  // Pending signals, thread-private then shared queue.
  for (int shared = 0; shared < 2; ++shared) {
    for (uint64_t off = 0;; ++off) {
      __ptrace_peeksiginfo_args a{off, shared ? static_cast<uint32_t>(PTRACE_PEEKSIGINFO_SHARED) : 0u, 1};
      siginfo_t si{};
      long n = ptrace(PTRACE_PEEKSIGINFO, t.pid(), &a, &si);
      if (n < 0) return sys_error("ptrace(PEEKSIGINFO)", t.pid());
      if (n == 0) break;
      img.pending.push_back(si);
    }
  }
  return ok_status();
}

Status capture_kernel_pointers(Tracee& t, RemoteSyscaller& rs, ProcessImage& img) {
  __ptrace_rseq_configuration rc{};
  if (ptrace(PTRACE_GET_RSEQ_CONFIGURATION, t.pid(), sizeof rc,
             &rc) < 0)
    return sys_error("ptrace(GET_RSEQ_CONFIGURATION)", t.pid());
  img.rseq = {rc.rseq_abi_pointer, rc.rseq_abi_size, rc.signature, rc.flags};
  void* head = nullptr;
  size_t len = 0;
  if (syscall(SYS_get_robust_list, t.pid(), &head, &len) != 0)
    return sys_error("get_robust_list", t.pid());
  img.robust_list = reinterpret_cast<uint64_t>(head);
  img.robust_list_len = len;
  OMX_TRY(rs.call_checked("prctl(PR_GET_TID_ADDRESS)", SYS_prctl,
                          {PR_GET_TID_ADDRESS, rs.scratch().data().addr()}));
  OMX_ASSIGN(img.clear_child_tid, rs.get_struct<uint64_t>(rs.scratch().data()));
  return ok_status();
}

Status capture_misc(Tracee& t, RemoteSyscaller& rs, ProcessImage& img) {
  pid_t pid = t.pid();
  for (int which = 0; which < 3; ++which) {
    OMX_TRY(rs.call_checked("getitimer", SYS_getitimer,
                            {static_cast<uint64_t>(which), rs.scratch().data().addr()}));
    OMX_ASSIGN(img.itimers[which], rs.get_struct<itimerval>(rs.scratch().data()));
  }
  // Read from inside (prlimit on another pid needs CAP_SYS_RESOURCE when the uids differ).
  for (int r = 0; r < RLIM_NLIMITS; ++r) {
    OMX_TRY(rs.call_checked("prlimit64", SYS_prlimit64,
                            {0, static_cast<uint64_t>(r), 0, rs.scratch().data().addr()}));
    OMX_ASSIGN(img.rlimits[r], rs.get_struct<rlimit>(rs.scratch().data()));
  }
  OMX_ASSIGN(uint64_t pers, rs.call_checked("personality", SYS_personality, {0xffffffff}));
  img.personality = pers;
  OMX_ASSIGN(uint64_t cur_brk, rs.call_checked("brk", SYS_brk, {0}));
  img.brk = cur_brk;
  OMX_ASSIGN(img.start_brk, stat_field(pid, 47));
  OMX_ASSIGN(uint64_t ppid, stat_field(pid, 4));
  img.home_ppid = static_cast<pid_t>(ppid);
  OMX_ASSIGN(std::string comm, read_small_file(fmt::format("/proc/{}/comm", pid), pid));
  if (!comm.empty() && comm.back() == '\n') comm.pop_back();
  img.comm = comm;
  OMX_ASSIGN(std::string status, read_small_file(fmt::format("/proc/{}/status", pid), pid));
  if (auto p = status.find("Umask:"); p != std::string::npos)
    img.umask = static_cast<uint32_t>(std::stoul(status.substr(p + 6), nullptr, 8));
  utsname u{};
  uname(&u);
  img.kernel_release = u.release;
  return ok_status();
}

}  // namespace

Result<CaptureResult> capture_state(Tracee& t, RemoteSyscaller& rs,
                                    const arch::Registers& stopped_regs,
                                    const std::vector<Vma>& vmas) {
  OMX_TRY(fault::check("capture.state"));
  CaptureResult out;
  ProcessImage& img = out.image;
  img.home_pid = t.pid();
  out.original_regs = stopped_regs;
  img.regs = out.original_regs;
  img.regs.rewind_interrupted_syscall();
  img.sleep_timespec = img.regs.rewound_sleep_timespec();  // (also if the caller rewound them)
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  img.captured_realtime_ns = static_cast<uint64_t>(now.tv_sec) * 1000000000ull + static_cast<uint64_t>(now.tv_nsec);
  OMX_ASSIGN(img.xstate, t.get_xstate());
  OMX_TRY(capture_signals(t, rs, img));
  OMX_TRY(capture_kernel_pointers(t, rs, img));
  OMX_TRY(capture_misc(t, rs, img));
  for (const Vma& v : vmas) {
    if (rs.scratch().contains(v.start)) continue;
    img.vmas.push_back({v, v.is_vdso_family() ? VmaSource::kVdso : VmaSource::kAnonymous});
  }
  // Signals that arrived while we worked were suppressed: they must still reach the program.
  img.pending.insert(img.pending.end(), rs.deferred().begin(), rs.deferred().end());
  rs.deferred().clear();
  return out;
}

namespace {

// Sends the pages of one VMA whose pagemap entries say they hold data.
class VmaPager {
 public:
  VmaPager(const ProcessMemory& mem, ProcessImage& img, PageSink& sink)
      : mem_(mem), img_(img), sink_(sink), buf_(kRunBytes) {}

  Status page(const ImageVma& iv, uint64_t addr, bool wanted) {
    if (!wanted) return flush();
    if (run_len_ && (run_start_ + run_len_ != addr || run_len_ == kRunBytes)) OMX_TRY(flush());
    if (!run_len_) {
      run_start_ = addr;
      run_anon_ = iv.source == VmaSource::kAnonymous && !iv.vma.file_backed();
    }
    run_len_ += arch::kPageSize;
    return ok_status();
  }

  Status flush() {
    if (!run_len_) return ok_status();
    uint64_t start = run_start_, len = run_len_;
    run_len_ = 0;
    std::span<uint8_t> data(buf_.data(), len);
    if (!mem_.read(RemotePtr<void>(start), data).ok()) return flush_pagewise(start, len);
    return emit(start, data);
  }

 private:
  // A run that could not be read whole (e.g. a file mapping past EOF): page by page, skipping
  // unreadable pages — the process could not read them either (SIGBUS).
  Status flush_pagewise(uint64_t start, uint64_t len) {
    for (uint64_t a = start; a < start + len; a += arch::kPageSize) {
      std::span<uint8_t> page(buf_.data(), arch::kPageSize);
      if (!mem_.read(RemotePtr<void>(a), page).ok()) continue;
      OMX_TRY(emit(a, page));
    }
    return ok_status();
  }

  // Sends data, leaving out all-zero pages of anonymous memory (they read as zero anyway).
  Status emit(uint64_t start, std::span<uint8_t> data) {
    size_t n = data.size() / arch::kPageSize, i = 0;
    while (i < n) {
      size_t j = i;
      while (j < n && !(run_anon_ && is_zero_page(&data[j * arch::kPageSize], arch::kPageSize))) ++j;
      if (j > i) {
        OMX_TRY(sink_.pages(start + i * arch::kPageSize,
                            data.subspan(i * arch::kPageSize, (j - i) * arch::kPageSize)));
        img_.pages_sent += j - i;
      }
      while (j < n && run_anon_ && is_zero_page(&data[j * arch::kPageSize], arch::kPageSize)) {
        ++img_.pages_zero_skipped;
        ++j;
      }
      i = j;
    }
    return ok_status();
  }

  const ProcessMemory& mem_;
  ProcessImage& img_;
  PageSink& sink_;
  std::vector<uint8_t> buf_;
  uint64_t run_start_ = 0, run_len_ = 0;
  bool run_anon_ = false;
};

}  // namespace

void assign_sources(ProcessImage& image, const CaptureOptions& opts) {
  for (ImageVma& iv : image.vmas) {
    if (iv.source == VmaSource::kVdso) continue;
    const Vma& v = iv.vma;
    bool from_file = v.file_backed() && !v.deleted && opts.file_available(v);
    iv.source = from_file ? VmaSource::kFile : VmaSource::kAnonymous;
  }
}

Status capture_pages(const ProcessMemory& mem, ProcessImage& image, const CaptureOptions& opts,
                     PageSink& sink) {
  OMX_TRY(fault::check("capture.pages"));
  assign_sources(image, opts);
  VmaPager pager(mem, image, sink);
  constexpr uint64_t kChunk = 512 * arch::kPageSize;  // pagemap read granularity
  for (ImageVma& iv : image.vmas) {
    const Vma& v = iv.vma;
    if (iv.source == VmaSource::kVdso) continue;
    bool from_file = iv.source == VmaSource::kFile;
    // A file mapping rebuilt as anonymous memory needs every page, touched or not.
    bool all_pages = v.file_backed() && !from_file;
    for (uint64_t c = v.start; c < v.end; c += kChunk) {
      uint64_t ce = std::min(v.end, c + kChunk);
      OMX_ASSIGN(std::vector<uint64_t> pm, mem.pagemap(c, ce));
      for (size_t i = 0; i < pm.size(); ++i) {
        uint64_t e = pm[i];
        bool present = e & kPagemapPresent, swapped = e & kPagemapSwapped;
        bool changed = swapped || (present && !(e & kPagemapFileOrSharedAnon));
        bool wanted = all_pages || (from_file ? changed : (present || swapped));
        OMX_TRY(pager.page(iv, c + i * arch::kPageSize, wanted));
      }
    }
    OMX_TRY(pager.flush());
  }
  return ok_status();
}

Status PageBuffer::pages(uint64_t addr, std::span<const uint8_t> data) {
  runs_.emplace_back(addr, std::vector<uint8_t>(data.begin(), data.end()));
  bytes_ += data.size();
  return ok_status();
}

Result<bool> PageBuffer::next(uint64_t& addr, std::span<const uint8_t>& data) {
  if (pos_ >= runs_.size()) return false;
  addr = runs_[pos_].first;
  data = runs_[pos_].second;
  ++pos_;
  return true;
}

}  // namespace omx::proc
