#include "migrate/syscall_request.h"

#include "wire/codec.h"

namespace omx::migrate {
namespace {
constexpr uint16_t kMaxBufs = 1024;  // IOV_MAX plus the array itself
}

std::vector<uint8_t> encode(const SyscallRequest& r) {
  wire::Writer w;
  w.u32(static_cast<uint32_t>(r.nr));
  for (uint64_t a : r.args) w.u64(a);
  w.u16(static_cast<uint16_t>(r.bufs.size()));
  for (const SyscallBuffer& b : r.bufs) {
    w.u8(b.arg);
    w.u8(static_cast<uint8_t>(b.dir));
    w.u8(b.len_is_result ? 1 : 0);
    w.u32(b.capacity);
    if (b.dir != BufDir::kOut) w.bytes(b.data);
  }
  w.u16(static_cast<uint16_t>(r.patches.size()));
  for (const PointerPatch& p : r.patches) {
    w.u16(p.buffer);
    w.u32(p.offset);
    w.u16(p.target);
  }
  return std::move(w).take();
}

Result<SyscallRequest> decode_request(std::span<const uint8_t> bytes) {
  wire::Reader r(bytes, "syscall request");
  SyscallRequest q;
  OMX_ASSIGN(uint32_t nr, r.u32("nr"));
  q.nr = static_cast<int32_t>(nr);
  for (uint64_t& a : q.args) {
    OMX_ASSIGN(a, r.u64("arg"));
  }
  OMX_ASSIGN(uint16_t nb, r.u16("buffer count"));
  if (nb > kMaxBufs) return make_error(ErrorCode::kProtocol, "syscall request: too many buffers");
  uint64_t total = 0;
  for (uint16_t i = 0; i < nb; ++i) {
    SyscallBuffer b;
    OMX_ASSIGN(b.arg, r.u8("buffer arg"));
    OMX_ASSIGN(uint8_t dir, r.u8("buffer dir"));
    OMX_ASSIGN(uint8_t flags, r.u8("buffer flags"));
    OMX_ASSIGN(b.capacity, r.u32("buffer capacity"));
    if (dir > 2 || (b.arg >= 6 && b.arg != kNoArg) || b.capacity > kMaxBufferBytes)
      return make_error(ErrorCode::kProtocol, "syscall request: bad buffer");
    b.dir = static_cast<BufDir>(dir);
    b.len_is_result = flags & 1;
    if (b.dir != BufDir::kOut) {
      OMX_ASSIGN(auto data, r.bytes("buffer data", b.capacity));
      b.data.assign(data.begin(), data.end());
    }
    total += b.capacity;
    q.bufs.push_back(std::move(b));
  }
  if (total > 2ull * kMaxBufferBytes)
    return make_error(ErrorCode::kProtocol, "syscall request: buffers too large");
  OMX_ASSIGN(uint16_t np, r.u16("patch count"));
  if (np > kMaxBufs) return make_error(ErrorCode::kProtocol, "syscall request: too many patches");
  for (uint16_t i = 0; i < np; ++i) {
    PointerPatch p;
    OMX_ASSIGN(p.buffer, r.u16("patch buffer"));
    OMX_ASSIGN(p.offset, r.u32("patch offset"));
    OMX_ASSIGN(p.target, r.u16("patch target"));
    if (p.buffer >= nb || p.target >= nb || uint64_t{p.offset} + 8 > q.bufs[p.buffer].capacity)
      return make_error(ErrorCode::kProtocol, "syscall request: bad patch");
    q.patches.push_back(p);
  }
  OMX_TRY(r.expect_end());
  return q;
}

std::vector<uint8_t> encode(const SyscallReply& r) {
  wire::Writer w;
  w.i64(r.result);
  w.u16(static_cast<uint16_t>(r.out.size()));
  for (const auto& o : r.out) w.bytes(o);
  return std::move(w).take();
}

Result<SyscallReply> decode_reply(std::span<const uint8_t> bytes) {
  wire::Reader r(bytes, "syscall reply");
  SyscallReply rep;
  OMX_ASSIGN(rep.result, r.i64("result"));
  OMX_ASSIGN(uint16_t n, r.u16("out count"));
  if (n > kMaxBufs) return make_error(ErrorCode::kProtocol, "syscall reply: too many buffers");
  for (uint16_t i = 0; i < n; ++i) {
    OMX_ASSIGN(auto d, r.bytes("out data", kMaxBufferBytes));
    rep.out.emplace_back(d.begin(), d.end());
  }
  OMX_TRY(r.expect_end());
  return rep;
}

}  // namespace omx::migrate
