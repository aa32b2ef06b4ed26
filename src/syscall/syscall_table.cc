// Lookups over the generated system call table (see syscall_table.h). The array itself, and
// the static_asserts tying it to <sys/syscall.h> and to the kernel structure sizes, are in the
// generated syscall/syscall_table_gen.h. Stateless apart from syscall_name()'s thread-local ring.
#include "syscall/syscall_table.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <iterator>

#include "syscall/syscall_table_gen.h"

namespace omx::syscall {
namespace {

namespace gen = generated;

constexpr bool by_name_is_sorted() {
  for (size_t i = 1; i < std::size(gen::kByName); ++i) {
    if (std::string_view(gen::kByName[i - 1].name) >= std::string_view(gen::kByName[i].name))
      return false;
  }
  return true;
}
static_assert(by_name_is_sorted(), "kByName must be sorted by name without duplicates");

const char* const kArgKindNames[] = {
    "val",          "fd",          "pid",         "ptr",          "path",
    "cstr",         "cstr_array",  "in",          "out",          "inout",
    "iov_in",       "iov_out",     "sockaddr_in", "sockaddr_out", "msghdr_in",
    "msghdr_out",   "mmsghdr_in",  "mmsghdr_out", "irregular",
};
static_assert(std::size(kArgKindNames) == static_cast<size_t>(ArgKind::kIrregular) + 1);

std::string format_scale(const Len& len) {
  if (len.unit_name != nullptr) return std::string("*") + len.unit_name;
  if (len.unit != 1) return "*" + std::to_string(len.unit);
  return "";
}

std::string format_len(const Len& len) {
  const std::string a = std::to_string(len.arg);
  switch (len.kind) {
    case LenKind::kNone:
      return "";
    case LenKind::kConst:
      if (len.unit_name == nullptr) return std::to_string(uint64_t{len.count} * len.unit);
      if (len.count == 1) return len.unit_name;
      return std::string(len.unit_name) + "*" + std::to_string(len.count);
    case LenKind::kArg:
      return "a" + a + format_scale(len);
    case LenKind::kArgDeref:
      return "*a" + a + format_scale(len);
    case LenKind::kRet:
      return "ret" + format_scale(len);
    case LenKind::kArgBits:
      return "bits(a" + a + ")";
  }
  return "?";
}

// a * b, or nullopt on overflow.
std::optional<uint64_t> mul(uint64_t a, uint64_t b) {
  uint64_t r;
  if (__builtin_mul_overflow(a, b, &r)) return std::nullopt;
  return r;
}

}  // namespace

const SyscallInfo* syscall_info(int nr) {
  if (nr < 0 || nr > gen::kMaxNumber) return nullptr;
  const SyscallInfo& info = gen::kTable[nr];
  return info.name != nullptr ? &info : nullptr;
}

std::optional<int> syscall_number(std::string_view name) {
  const auto* begin = std::begin(gen::kByName);
  const auto* end = std::end(gen::kByName);
  const auto* it = std::lower_bound(begin, end, name, [](const NameIndex& e, std::string_view n) {
    return std::string_view(e.name) < n;
  });
  if (it == end || std::string_view(it->name) != name) return std::nullopt;
  return it->number;
}

const char* syscall_name(int nr) {
  if (const SyscallInfo* info = syscall_info(nr)) return info->name;
  thread_local char ring[4][32];
  thread_local unsigned next = 0;
  char* buf = ring[next++ % 4];
  std::snprintf(buf, sizeof ring[0], "syscall_%d", nr);
  return buf;
}

std::vector<int> syscalls_of_class(SyscallClass cls) {
  std::vector<int> out;
  for (const SyscallInfo& info : gen::kTable) {
    if (info.name != nullptr && info.cls == cls) out.push_back(info.number);
  }
  return out;
}

std::vector<int> guarded_syscalls() {
  std::vector<int> out;
  for (const SyscallInfo& info : gen::kTable) {
    if (info.name != nullptr && info.local_if.present()) out.push_back(info.number);
  }
  return out;
}

SyscallClass effective_class(int nr, const uint64_t (&args)[6]) {
  const SyscallInfo* info = syscall_info(nr);
  if (info == nullptr) return SyscallClass::kHome;
  if (info->local_if.present() && info->local_if.holds(args)) return SyscallClass::kLocal;
  return info->cls;
}

int max_syscall_number() { return gen::kMaxNumber; }

bool is_hole(int nr) {
  return nr >= 0 && nr <= gen::kMaxNumber && gen::kTable[nr].name == nullptr;
}

std::vector<HoleRange> syscall_holes() {
  return std::vector<HoleRange>(gen::kHoles, gen::kHoles + gen::kNumHoles);
}

const char* class_name(SyscallClass cls) {
  switch (cls) {
    case SyscallClass::kLocal: return "local";
    case SyscallClass::kEmulated: return "emulated";
    case SyscallClass::kForwarded: return "forwarded";
    case SyscallClass::kSpecial: return "special";
    case SyscallClass::kHome: return "home";
  }
  return "?";
}

std::string format_arg(const ArgSpec& spec) {
  std::string out = kArgKindNames[static_cast<size_t>(spec.kind)];
  switch (spec.kind) {
    case ArgKind::kIn:
    case ArgKind::kOut:
    case ArgKind::kInOut:
      out += ":" + format_len(spec.len);
      if (spec.valid.present()) out += ":" + format_len(spec.valid);
      return out;
    case ArgKind::kIovIn:
    case ArgKind::kIovOut:
    case ArgKind::kSockaddrIn:
    case ArgKind::kSockaddrOut:
    case ArgKind::kMmsghdrIn:
    case ArgKind::kMmsghdrOut:
      return out + ":a" + std::to_string(spec.len.arg);
    default:
      return out;
  }
}

std::string format_args(const SyscallInfo& info) {
  if (info.nargs == 0) return "-";
  std::string out;
  for (int i = 0; i < info.nargs; ++i) {
    if (i > 0) out += ' ';
    out += format_arg(info.args[i]);
  }
  return out;
}

std::optional<uint64_t> resolve_len(const Len& len, const uint64_t (&args)[6],
                                    std::optional<int64_t> ret, std::optional<uint32_t> deref) {
  switch (len.kind) {
    case LenKind::kNone:
      return std::nullopt;
    case LenKind::kConst:
      return mul(len.count, len.unit);
    case LenKind::kArg:
      return mul(args[len.arg], len.unit);
    case LenKind::kArgDeref:
      if (!deref) return std::nullopt;
      return mul(*deref, len.unit);
    case LenKind::kRet:
      if (!ret || *ret < 0) return std::nullopt;
      return mul(static_cast<uint64_t>(*ret), len.unit);
    case LenKind::kArgBits: {
      // The kernel takes the bit count as an int (select's nfds); negative is EINVAL there.
      const int32_t bits = static_cast<int32_t>(args[len.arg]);
      if (bits < 0) return std::nullopt;
      return (uint64_t{static_cast<uint32_t>(bits)} + 63) / 64 * 8;
    }
  }
  return std::nullopt;
}

}  // namespace omx::syscall
