#include "migrate/marshal.h"

#include <sys/uio.h>

#include <algorithm>
#include <cstring>

#include "migrate/forward_fs.h"
#include "syscall/syscall_table.h"

namespace omx::migrate {
namespace {

using syscall::ArgKind;
using syscall::ArgSpec;
using syscall::Len;
using syscall::LenKind;

constexpr uint32_t kMaxPath = 4096;
constexpr uint32_t kMaxIov = 1024;  // IOV_MAX

struct Builder {
  const arch::Registers& regs;
  const proc::ProcessMemory& mem;
  Marshalled m;
  uint64_t budget = 2 * kMaxBufferBytes;  // bytes all buffers of one call may carry

  // Adds a buffer; returns its index.
  uint16_t add(uint8_t arg, BufDir dir, uint32_t cap, std::vector<uint8_t> data, bool by_result,
               uint64_t origin) {
    SyscallBuffer b;
    b.arg = arg;
    b.dir = dir;
    b.capacity = cap;
    b.data = std::move(data);
    b.len_is_result = by_result;
    m.req.bufs.push_back(std::move(b));
    m.origin.push_back(origin);
    budget -= std::min<uint64_t>(budget, cap);
    return static_cast<uint16_t>(m.req.bufs.size() - 1);
  }

  Result<std::vector<uint8_t>> read(uint64_t addr, uint64_t n) {
    std::vector<uint8_t> v(n);
    if (n) OMX_TRY(mem.read(RemotePtr<void>(addr), v));
    return v;
  }

  Result<uint64_t> eval(const Len& l) {
    switch (l.kind) {
      case LenKind::kNone: return 0;
      case LenKind::kConst: return uint64_t{l.count} * l.unit;
      case LenKind::kArg: return regs.arg(l.arg) * l.unit;
      case LenKind::kArgDeref: {
        uint64_t p = regs.arg(l.arg);
        if (!p) return 0;
        uint32_t v = 0;
        OMX_TRY(mem.read(RemotePtr<void>(p), std::span<uint8_t>(reinterpret_cast<uint8_t*>(&v), 4)));
        return uint64_t{v} * l.unit;
      }
      case LenKind::kArgBits: return (regs.arg(l.arg) + 63) / 64 * 8;
      case LenKind::kRet: return 0;
    }
    return 0;
  }

  // A byte count the call may carry: large reads/writes are shortened (a short read or write
  // is valid for the call); the length argument is rewritten to match.
  uint64_t clamp(const Len& l, uint64_t n) {
    uint64_t c = std::min<uint64_t>({n, kMaxBufferBytes, budget});
    if (c < n && l.kind == LenKind::kArg && l.unit == 1) m.req.args[l.arg] = c;
    return c;
  }

  // Reads a NUL-terminated string in 256-byte aligned pieces, so it never reads past the page
  // holding its end (the next page may be unmapped).
  Result<bool> string_arg(int i, uint64_t p) {
    std::vector<uint8_t> s;
    for (uint64_t pos = p; s.size() < kMaxPath;) {
      uint64_t chunk = 256 - (pos % 256);
      std::vector<uint8_t> part(chunk);
      OMX_TRY(mem.read(RemotePtr<void>(pos), part));
      auto nul = std::find(part.begin(), part.end(), 0);
      s.insert(s.end(), part.begin(), nul);
      if (nul != part.end()) {
        s.push_back(0);
        uint32_t n = static_cast<uint32_t>(s.size());
        add(static_cast<uint8_t>(i), BufDir::kIn, n, std::move(s), false, 0);
        return true;
      }
      pos += chunk;
    }
    m.immediate = -ENAMETOOLONG;
    return true;
  }

  Status iov_arg(int i, uint64_t p, const ArgSpec& spec, bool out) {
    OMX_ASSIGN(uint64_t cnt, eval(spec.len));
    if (cnt > kMaxIov) {
      m.immediate = -EINVAL;
      return ok_status();
    }
    OMX_ASSIGN(std::vector<uint8_t> arr, read(p, cnt * sizeof(iovec)));
    uint16_t array_idx = add(static_cast<uint8_t>(i), BufDir::kIn, static_cast<uint32_t>(arr.size()), {}, false, 0);
    for (uint64_t k = 0; k < cnt; ++k) {
      iovec v;
      std::memcpy(&v, arr.data() + k * sizeof v, sizeof v);
      uint64_t len = std::min<uint64_t>({v.iov_len, kMaxBufferBytes, budget});
      if (len < v.iov_len) {  // out of room: this iovec is the last one carried
        v.iov_len = len;
        std::memcpy(arr.data() + k * sizeof v, &v, sizeof v);
        if (spec.len.kind == LenKind::kArg) m.req.args[spec.len.arg] = k + 1;
        cnt = k + 1;
      }
      std::vector<uint8_t> data;
      if (!out) {
        OMX_ASSIGN(data, read(reinterpret_cast<uint64_t>(v.iov_base), len));
      }
      uint16_t idx = add(kNoArg, out ? BufDir::kOut : BufDir::kIn, static_cast<uint32_t>(len),
                         std::move(data), out, reinterpret_cast<uint64_t>(v.iov_base));
      m.req.patches.push_back(PointerPatch{array_idx, static_cast<uint32_t>(k * sizeof v), idx});
    }
    arr.resize(cnt * sizeof(iovec));
    m.req.bufs[array_idx].capacity = static_cast<uint32_t>(arr.size());
    m.req.bufs[array_idx].data = std::move(arr);
    return ok_status();
  }

  // Returns false when the argument kind has no generic marshalling (the call goes home).
  Result<bool> arg(int i, const ArgSpec& spec) {
    uint64_t p = regs.arg(i);
    switch (spec.kind) {
      case ArgKind::kVal: case ArgKind::kFd: case ArgKind::kPid: case ArgKind::kPtr:
        return true;
      case ArgKind::kIrregular:  // resolved below, whatever the pointer's value
        break;
      default:
        break;
    }
    if (!p && spec.kind != ArgKind::kIrregular) return true;  // NULL stays NULL, nothing copied
    switch (spec.kind) {
      case ArgKind::kPath:
      case ArgKind::kCStr:
        return string_arg(i, p);
      case ArgKind::kIn:
      case ArgKind::kSockaddrIn: {
        OMX_ASSIGN(uint64_t n, eval(spec.len));
        n = clamp(spec.len, n);
        OMX_ASSIGN(std::vector<uint8_t> d, read(p, n));
        add(static_cast<uint8_t>(i), BufDir::kIn, static_cast<uint32_t>(n), std::move(d), false, p);
        return true;
      }
      case ArgKind::kOut:
      case ArgKind::kInOut:
      case ArgKind::kSockaddrOut: {
        OMX_ASSIGN(uint64_t n, eval(spec.len));
        n = clamp(spec.len, n);
        bool by_result = spec.valid.kind == LenKind::kRet;
        // Unless the kernel writes exactly `n` or `result` bytes, carry the caller's bytes in
        // too, so bytes the kernel leaves alone come back unchanged.
        bool copy_in = spec.kind != ArgKind::kOut || (spec.valid.present() && !by_result);
        std::vector<uint8_t> d;
        if (copy_in) {
          OMX_ASSIGN(d, read(p, n));
        }
        add(static_cast<uint8_t>(i), copy_in ? BufDir::kInOut : BufDir::kOut,
            static_cast<uint32_t>(n), std::move(d), by_result, p);
        return true;
      }
      case ArgKind::kIovIn:
      case ArgKind::kIovOut:
        OMX_TRY(iov_arg(i, p, spec, spec.kind == ArgKind::kIovOut));
        return true;
      case ArgKind::kIrregular: {
        std::optional<ArgSpec> resolved = resolve_irregular(m.req.nr, i, regs);
        if (!resolved || resolved->kind == ArgKind::kIrregular) return false;
        return arg(i, *resolved);
      }
      default:  // msghdr, mmsghdr, argv arrays: hand-written code later
        return false;
    }
  }
};

}  // namespace

Result<std::optional<Marshalled>> marshal(const arch::Registers& regs,
                                          const proc::ProcessMemory& mem) {
  const syscall::SyscallInfo* info = syscall::syscall_info(static_cast<int>(regs.syscall_no()));
  if (!info) return std::optional<Marshalled>{};
  Builder b{regs, mem, {}};
  b.m.req.nr = info->number;
  for (int i = 0; i < 6; ++i) b.m.req.args[i] = regs.arg(i);
  for (int i = 0; i < info->nargs && !b.m.immediate; ++i) {
    auto ok = b.arg(i, info->args[i]);
    if (!ok.ok()) {
      if (ok.error().code == ErrorCode::kVanished) return std::move(ok.error());
      b.m.immediate = -EFAULT;  // the process passed a pointer it cannot read
      break;
    }
    if (!*ok) return std::optional<Marshalled>{};
  }
  return std::optional<Marshalled>(std::move(b.m));
}

Status unmarshal(const Marshalled& m, const SyscallReply& reply, const proc::ProcessMemory& mem) {
  if (reply.result < 0) return ok_status();  // nothing is copied back when the call failed
  size_t k = 0;
  for (size_t i = 0; i < m.req.bufs.size(); ++i) {
    if (!m.req.bufs[i].returns_data()) continue;
    if (k >= reply.out.size()) return make_error(ErrorCode::kProtocol, "syscall reply: missing buffer");
    const std::vector<uint8_t>& d = reply.out[k++];
    if (d.size() > m.req.bufs[i].capacity)
      return make_error(ErrorCode::kProtocol, "syscall reply: buffer larger than asked");
    if (!d.empty()) OMX_TRY(mem.write(RemotePtr<void>(m.origin[i]), d));
  }
  return ok_status();
}

}  // namespace omx::migrate
