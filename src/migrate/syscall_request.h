// SyscallRequest / SyscallReply: a system call marshalled by the remote side (driven by the
// syscall table, schema/) and executed by the deputy at home. The executing side needs no
// knowledge of the call: it copies input buffers into the deputy, points the arguments (and
// pointer patches inside buffers, e.g. iovec arrays) at them, makes the call, and returns the
// output buffers.
//
// Wire encoding (explicit little-endian, see syscall_request.cc):
//   request: nr i32, 6 × arg u64, nbufs u16, each {arg u8 (0..5 or 0xff), dir u8, flags u8,
//            capacity u32, data bytes (in/inout only)}, npatches u16, each {buffer u16,
//            offset u32, target u16}
//   reply:   result i64, nout u16, each data bytes (out/inout buffers in request order)
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "base/result.h"

namespace omx::migrate {

inline constexpr uint8_t kNoArg = 0xff;
inline constexpr uint32_t kMaxBufferBytes = 8u << 20;  // per buffer (a read larger is split)

enum class BufDir : uint8_t { kIn = 0, kOut = 1, kInOut = 2 };

struct SyscallBuffer {
  uint8_t arg = kNoArg;   // argument register that points to it, or kNoArg (patch target only)
  BufDir dir = BufDir::kIn;
  bool len_is_result = false;  // out: bytes valid = the call's result, spread over such
                               // buffers in request order (read, readv)
  uint32_t capacity = 0;       // bytes reserved at the executing side
  std::vector<uint8_t> data;   // contents for kIn / kInOut
  bool returns_data() const { return dir != BufDir::kIn; }
};

// After copying, write the executing side's address of buffer `target` as a u64 at `offset`
// inside buffer `buffer` (iovec.iov_base, msghdr.msg_name, ...).
struct PointerPatch {
  uint16_t buffer = 0;
  uint32_t offset = 0;
  uint16_t target = 0;
};

struct SyscallRequest {
  int32_t nr = 0;
  std::array<uint64_t, 6> args{};
  std::vector<SyscallBuffer> bufs;
  std::vector<PointerPatch> patches;
};

struct SyscallReply {
  int64_t result = 0;
  std::vector<std::vector<uint8_t>> out;  // one per returns_data() buffer, in order
};

std::vector<uint8_t> encode(const SyscallRequest& r);
Result<SyscallRequest> decode_request(std::span<const uint8_t> b);
std::vector<uint8_t> encode(const SyscallReply& r);
Result<SyscallReply> decode_reply(std::span<const uint8_t> b);

}  // namespace omx::migrate
