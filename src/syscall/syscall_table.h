// The system call table: for every x86-64 system call, what a migrated process's body does with
// it on a remote node (its SyscallClass), when the seccomp filter may let it run there anyway (a
// LocalGuard on the raw arguments), and what each argument is, in the vocabulary the generic
// marshaller acts on (ArgSpec). The data lives in schema/syscalls_x86_64.tsv, whose header
// documents the classes and the notation; tools/gen_syscalls.py compiles it into
// syscall/syscall_table_gen.h (build directory), checked against <sys/syscall.h> and the
// kernel structure sizes by static_asserts. See ARCHITECTURE.md §3.
//
// Unknown numbers (above max_syscall_number(), inside a hole, negative, x32 numbers with bit
// 0x40000000, other audit architectures) have no SyscallInfo: syscall_info() returns nullptr
// and every caller must treat them as SyscallClass::kHome (effective_class() does).
//
// Threading: the table is immutable constexpr data; every function here is thread-safe.
// syscall_name() returns a pointer into a small thread-local ring for unknown numbers (see there).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace omx::syscall {

// Values are stable: they may appear in logs, traces and wire messages.
enum class SyscallClass : uint8_t {
  kLocal = 0,      // runs unchanged on the remote kernel; the seccomp filter allows it
  kEmulated = 1,   // answered on the remote from migrated state, no round trip
  kForwarded = 2,  // marshalled to the deputy at home and executed there
  kSpecial = 3,    // hand-written handling (fork, exec, exit, signals to self, ...)
  kHome = 4,       // not supported remotely: the process goes home and makes the call natively
};

enum class ArgKind : uint8_t {
  kVal = 0,          // plain integer
  kFd = 1,           // file descriptor (all fds live at home)
  kPid = 2,          // pid/tid/pgid, as the home identity
  kPtr = 3,          // address used as an address, never copied
  kPath = 4,         // NUL-terminated path, in (<= PATH_MAX bytes)
  kCStr = 5,         // NUL-terminated string that is not a path, in
  kCStrArray = 6,    // NULL-terminated array of C strings (argv, envp)
  kIn = 7,           // buffer of `len` bytes, read by the kernel
  kOut = 8,          // buffer of `len` bytes written by the kernel; `valid` bytes copied back
  kInOut = 9,        // copied in, and `valid` (or `len`) bytes copied back
  kIovIn = 10,       // struct iovec[len] whose buffers are read
  kIovOut = 11,      // struct iovec[len] whose buffers receive (return value) bytes in order
  kSockaddrIn = 12,  // socket address of `len` bytes
  kSockaddrOut = 13, // socket address; room and new length in the socklen_t at `len.arg`
  kMsghdrIn = 14,    // struct msghdr for sendmsg
  kMsghdrOut = 15,   // struct msghdr for recvmsg
  kMmsghdrIn = 16,   // struct mmsghdr[len] for sendmmsg
  kMmsghdrOut = 17,  // struct mmsghdr[len] for recvmmsg
  kIrregular = 18,   // needs hand-written code: see SyscallInfo::note
};

// How a byte count (or element count for iov/mmsghdr kinds) is obtained.
enum class LenKind : uint8_t {
  kNone = 0,       // no length
  kConst = 1,      // count * unit
  kArg = 2,        // args[arg] * unit
  kArgDeref = 3,   // (the uint32 that args[arg] points to) * unit
  kRet = 4,        // return value * unit
  kArgBits = 5,    // a bitmap of args[arg] bits in whole longs: (args[arg] + 63) / 64 * 8
};

struct Len {
  LenKind kind = LenKind::kNone;
  uint8_t arg = 0;                  // for kArg, kArgDeref, kArgBits
  uint32_t count = 0;               // for kConst
  uint32_t unit = 1;                // bytes per element
  const char* unit_name = nullptr;  // the structure `unit` is the size of, if any

  constexpr bool present() const { return kind != LenKind::kNone; }
};

struct ArgSpec {
  ArgKind kind = ArgKind::kVal;
  Len len;    // room (buffers, sockaddr) or element count (iov, mmsghdr)
  Len valid;  // bytes copied back after the call (kOut/kInOut/kSockaddrOut); kNone: all of len
};

// The local_if guard of a row: the call runs locally when it holds.
enum class GuardOp : uint8_t {
  kNone = 0,    // no guard
  kAnyBit = 1,  // (low 32 bits of args[arg]) & mask != 0
  kInSet = 2,   // int32(args[arg] & mask) lies in one of ranges[0..nranges)
};

struct GuardRange {
  int32_t lo;
  int32_t hi;  // inclusive
};

inline constexpr int kMaxGuardRanges = 4;

struct LocalGuard {
  GuardOp op = GuardOp::kNone;
  uint8_t arg = 0;
  uint32_t mask = 0xffffffff;
  uint8_t nranges = 0;
  GuardRange ranges[kMaxGuardRanges] = {};
  const char* text = nullptr;  // as written in the table, e.g. "a3&MAP_ANONYMOUS"

  constexpr bool present() const { return op != GuardOp::kNone; }
  // Guards compare the low 32 bits of the argument as a signed int (every guarded argument is
  // a C int), exactly what a seccomp BPF program sees in the low word of args[arg].
  constexpr bool holds(const uint64_t (&args)[6]) const {
    const uint32_t v = static_cast<uint32_t>(args[arg]) & mask;
    if (op == GuardOp::kAnyBit) return v != 0;
    if (op != GuardOp::kInSet) return false;
    for (int i = 0; i < nranges; ++i) {
      const int32_t s = static_cast<int32_t>(v);
      if (s >= ranges[i].lo && s <= ranges[i].hi) return true;
    }
    return false;
  }
};

inline constexpr int kMaxArgs = 6;

struct SyscallInfo {
  const char* name;     // kernel name; nullptr marks a hole in the generated array
  int number;
  SyscallClass cls;     // class when local_if is absent or does not hold
  uint8_t nargs;
  ArgSpec args[kMaxArgs];
  LocalGuard local_if;
  const char* note;     // why this class, quirks, what irregular arguments need ("" if none)
};

struct NameIndex {
  const char* name;
  int number;
};

// A range of numbers without a system call (ENOSYS on every node).
struct HoleRange {
  int first;
  int last;  // inclusive
  const char* note;
};

// The row of `nr`, or nullptr for an unknown number or a hole (treat as kHome).
const SyscallInfo* syscall_info(int nr);

// The number of a system call by kernel name ("openat", "_sysctl"), if the table has it.
std::optional<int> syscall_number(std::string_view name);

// The kernel name of `nr`, or "syscall_<nr>" for an unknown number. The latter points into a
// thread-local ring of four buffers: valid until the same thread has made four more such calls.
const char* syscall_name(int nr);

// Numbers whose row has class `cls`, ascending. Rows with a local_if guard are listed under
// their own class; the seccomp filter allows kLocal unconditionally and guarded_syscalls() when
// their guard holds, and traps everything else.
std::vector<int> syscalls_of_class(SyscallClass cls);

// Numbers whose row has a local_if guard, ascending.
std::vector<int> guarded_syscalls();

// What to do with a call given its raw arguments: kLocal when the guard holds, the row's class
// otherwise, kHome for unknown numbers.
SyscallClass effective_class(int nr, const uint64_t (&args)[6]);

// The highest number in the table; numbers above it are unknown.
int max_syscall_number();

// True when `nr` lies in a hole of the table (reserved, no system call).
bool is_hole(int nr);

// The holes of the table.
std::vector<HoleRange> syscall_holes();

// "local", "emulated", "forwarded", "special", "home".
const char* class_name(SyscallClass cls);

// The table notation of an argument ("out:a2:ret", "sockaddr_out:a2", "inout:timeval*2") and of
// a whole row's arguments ("fd out:a2:ret val", "-" for none). Used for logs and to check the
// generated table against its source.
std::string format_arg(const ArgSpec& spec);
std::string format_args(const SyscallInfo& info);

// Resolves a length for the marshaller: `args` are the six argument registers, `ret` the return
// value once the call has been made, `deref` the uint32 that args[len.arg] points to (read by
// the caller) for kArgDeref. Returns nullopt when an input is missing, ret is negative, or the
// product overflows 64 bits. Callers clamp VALID to the room and cap both to their transfer
// limit.
std::optional<uint64_t> resolve_len(const Len& len, const uint64_t (&args)[6],
                                    std::optional<int64_t> ret = std::nullopt,
                                    std::optional<uint32_t> deref = std::nullopt);

}  // namespace omx::syscall
