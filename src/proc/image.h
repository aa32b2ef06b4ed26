// ProcessImage: everything that defines a single-threaded process's user context, as captured
// at the source and rebuilt at the target (ARCHITECTURE §2). Page contents are not held here:
// they stream through PageSink/PageSource so a 1 GiB process is never held twice in memory.
//
// Plain data; serialised by image_codec (wire format, explicit little-endian fields).
#pragma once

#include <signal.h>
#include <sys/resource.h>
#include <sys/time.h>

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "arch/x86_64/regs.h"
#include "base/result.h"
#include "proc/vma.h"

namespace omx::proc {

inline constexpr uint32_t kImageVersion = 2;  // 2: sleep_timespec, captured_realtime_ns
inline constexpr int kNumSignals = 64;

// The kernel's struct sigaction for rt_sigaction on x86-64 (not glibc's).
struct KernelSigaction {
  uint64_t handler = 0;  // SIG_DFL = 0, SIG_IGN = 1, else an address
  uint64_t flags = 0;
  uint64_t restorer = 0;
  uint64_t mask = 0;
};

struct RseqConfig {
  uint64_t addr = 0;  // 0: not registered
  uint32_t len = 0;
  uint32_t sig = 0;
  uint32_t flags = 0;
};

// How a VMA is rebuilt at the target.
enum class VmaSource : uint8_t {
  kAnonymous = 0,  // anonymous memory; its non-zero pages are sent
  kFile = 1,       // mapped from the identical file at the target; changed pages are sent
  kVdso = 2,       // the target kernel's vDSO/vvar mapped at the same address
};

struct ImageVma {
  Vma vma;
  VmaSource source = VmaSource::kAnonymous;
};

struct ProcessImage {
  uint32_t version = kImageVersion;
  std::string kernel_release;  // uname -r of the source (vDSO compatibility)
  pid_t home_pid = 0;          // the pid the process has at home (getpid() answers this)
  pid_t home_ppid = 0;
  std::string comm;

  std::vector<ImageVma> vmas;
  uint64_t start_brk = 0, brk = 0;  // heap bounds (brk is emulated at the target)

  arch::Registers regs;
  // An interrupted relative sleep that the rewound registers re-make: the timespec it will read
  // (time left at capture), and when the capture happened (CLOCK_REALTIME, ns). The restore
  // subtracts the time since, so the move's frozen time is not slept again. 0: none.
  uint64_t sleep_timespec = 0;
  uint64_t captured_realtime_ns = 0;
  arch::ExtendedState xstate;
  uint64_t sigmask = 0;
  std::array<KernelSigaction, kNumSignals> sigactions{};  // index = signal number - 1
  stack_t altstack{nullptr, SS_DISABLE, 0};
  std::vector<siginfo_t> pending;  // signals to re-queue at the target
  RseqConfig rseq;
  uint64_t robust_list = 0, robust_list_len = 0;
  uint64_t clear_child_tid = 0;
  std::array<itimerval, 3> itimers{};  // ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF
  std::array<rlimit, RLIM_NLIMITS> rlimits{};
  uint64_t personality = 0;
  uint32_t umask = 022;

  // Totals filled by capture, for statistics.
  uint64_t pages_sent = 0;
  uint64_t pages_zero_skipped = 0;
};

// Receives page contents during capture, in address order; `data` is a whole number of pages.
class PageSink {
 public:
  virtual ~PageSink() = default;
  virtual Status pages(uint64_t addr, std::span<const uint8_t> data) = 0;
};

// Produces the page runs at restore: returns false at the end. `data` stays valid until the
// next call.
class PageSource {
 public:
  virtual ~PageSource() = default;
  virtual Result<bool> next(uint64_t& addr, std::span<const uint8_t>& data) = 0;
};

// An in-memory sink+source (tests, local moves).
class PageBuffer final : public PageSink, public PageSource {
 public:
  Status pages(uint64_t addr, std::span<const uint8_t> data) override;
  Result<bool> next(uint64_t& addr, std::span<const uint8_t>& data) override;
  uint64_t bytes() const { return bytes_; }

 private:
  std::vector<std::pair<uint64_t, std::vector<uint8_t>>> runs_;
  size_t pos_ = 0;
  uint64_t bytes_ = 0;
};

}  // namespace omx::proc
