#include "migrate/forward_fs.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <termios.h>

namespace omx::migrate {
namespace {

using syscall::ArgKind;
using syscall::ArgSpec;
using syscall::Len;
using syscall::LenKind;

// Sizes as the kernel reads/writes them (not glibc's): struct termios is 36 bytes in the
// kernel (glibc's is 60), termios2 44, struct flock 32, f_owner_ex 8, winsize 8.
constexpr uint32_t kKernelTermios = 36, kKernelTermios2 = 44, kFlock = 32, kOwnerEx = 8,
                   kWinsize = 8, kInt = 4, kU64 = 8;

// _IOR/_IOW('T', 0x2a..0x2d, struct termios2): glibc's headers lack struct termios2.
constexpr unsigned long kTcgets2 = 0x802c542a, kTcsets2 = 0x402c542b, kTcsetsw2 = 0x402c542c,
                        kTcsetsf2 = 0x402c542d;

ArgSpec buf(ArgKind kind, uint32_t bytes) {
  ArgSpec s;
  s.kind = kind;
  s.len = Len{LenKind::kConst, 0, bytes, 1, nullptr};
  return s;
}
ArgSpec value() { return ArgSpec{}; }

std::optional<ArgSpec> fcntl_arg(uint64_t cmd) {
  switch (static_cast<int>(cmd)) {
    case F_GETLK: case F_SETLK: case F_SETLKW:
    case F_OFD_GETLK: case F_OFD_SETLK: case F_OFD_SETLKW:
      return buf(ArgKind::kInOut, kFlock);  // locks are the deputy's; l_pid is the home pid
    case F_GETOWN_EX: return buf(ArgKind::kOut, kOwnerEx);
    case F_SETOWN_EX: return buf(ArgKind::kIn, kOwnerEx);
    case 1035: case 1037: return buf(ArgKind::kOut, kU64);  // F_GET_RW_HINT, F_GET_FILE_RW_HINT
    case 1036: case 1038: return buf(ArgKind::kIn, kU64);   // F_SET_RW_HINT, F_SET_FILE_RW_HINT
    default: return value();  // F_DUPFD*, F_GETFD/SETFD, F_GETFL/SETFL, F_SETOWN, pipe size...
  }
}

std::optional<ArgSpec> ioctl_arg(uint64_t req) {
  switch (static_cast<unsigned long>(req)) {
    case TCGETS: return buf(ArgKind::kOut, kKernelTermios);
    case TCSETS: case TCSETSW: case TCSETSF: return buf(ArgKind::kIn, kKernelTermios);
    case kTcgets2: return buf(ArgKind::kOut, kKernelTermios2);
    case kTcsets2: case kTcsetsw2: case kTcsetsf2: return buf(ArgKind::kIn, kKernelTermios2);
    case TIOCGWINSZ: return buf(ArgKind::kOut, kWinsize);
    case TIOCSWINSZ: return buf(ArgKind::kIn, kWinsize);
    case FIONREAD: case TIOCOUTQ: case TIOCGPGRP: case TIOCGPTN: return buf(ArgKind::kOut, kInt);
    case FIONBIO: case FIOASYNC: case TIOCSPGRP: case TIOCSPTLCK: return buf(ArgKind::kIn, kInt);
    case TIOCSCTTY: case TIOCNOTTY: case FIOCLEX: case FIONCLEX: case TCFLSH: case TCXONC:
    case TCSBRK:
      return value();
    default:
      return std::nullopt;  // unknown request: its argument could be anything
  }
}

}  // namespace

std::optional<ArgSpec> resolve_irregular(int nr, int arg, const arch::Registers& regs) {
  if (nr == SYS_fcntl && arg == 2) return fcntl_arg(regs.arg(1));
  if (nr == SYS_ioctl && arg == 2) return ioctl_arg(regs.arg(1));
  return std::nullopt;
}

}  // namespace omx::migrate
