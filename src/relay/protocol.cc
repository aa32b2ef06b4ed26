#include "relay/protocol.h"

#include <fmt/format.h>

#include "wire/codec.h"

namespace omx::relay {
namespace {

constexpr uint8_t kTimedOut = 1, kOutTruncated = 2, kErrTruncated = 4;
constexpr uint8_t kKnownFlags = kTimedOut | kOutTruncated | kErrTruncated;

Error bad(std::string what) { return make_error(ErrorCode::kProtocol, "relay: " + std::move(what)); }

}  // namespace

std::vector<uint8_t> encode_request(const RelayRequest& r) {
  wire::Writer w;
  w.u32(r.timeout_ms);
  w.u32(static_cast<uint32_t>(r.argv.size()));
  for (const auto& a : r.argv) w.str(a);
  return std::move(w).take();
}

Result<RelayRequest> decode_request(std::span<const uint8_t> payload) {
  wire::Reader r(payload, "relay request");
  RelayRequest q;
  OMX_ASSIGN(q.timeout_ms, r.u32("timeout"));
  if (q.timeout_ms == 0 || q.timeout_ms > kMaxTimeoutMs)
    return bad(fmt::format("timeout {} ms out of range", q.timeout_ms));
  OMX_ASSIGN(uint32_t argc, r.u32("argc"));
  if (argc == 0 || argc > kMaxArgs || argc > r.remaining() / 4)
    return bad(fmt::format("{} arguments", argc));
  q.argv.reserve(argc);
  for (uint32_t i = 0; i < argc; ++i) {
    OMX_ASSIGN(std::string a, r.str("argument", kMaxArgLength));
    if (a.find('\0') != std::string::npos) return bad("an argument contains a NUL byte");
    q.argv.push_back(std::move(a));
  }
  OMX_TRY(r.expect_end());
  return q;
}

std::vector<uint8_t> encode_reply(const RunResult& res) {
  wire::Writer w(16 + res.out.size() + res.err.size());
  w.u8(static_cast<uint8_t>((res.timed_out ? kTimedOut : 0) | (res.out_truncated ? kOutTruncated : 0) |
                            (res.err_truncated ? kErrTruncated : 0)));
  w.u32(static_cast<uint32_t>(res.exit_code));
  w.str(res.out);
  w.str(res.err);
  return std::move(w).take();
}

Result<RunResult> decode_reply(std::span<const uint8_t> payload) {
  wire::Reader r(payload, "relay reply");
  RunResult res;
  OMX_ASSIGN(uint8_t flags, r.u8("flags"));
  if (flags & ~kKnownFlags) return bad(fmt::format("unknown reply flags {:#x}", flags));
  res.timed_out = flags & kTimedOut;
  res.out_truncated = flags & kOutTruncated;
  res.err_truncated = flags & kErrTruncated;
  OMX_ASSIGN(uint32_t code, r.u32("exit code"));
  res.exit_code = static_cast<int32_t>(code);
  if (res.exit_code > 255 || res.exit_code < -64)
    return bad(fmt::format("exit code {} out of range", res.exit_code));
  OMX_ASSIGN(res.out, r.str("stdout", kMaxOutput));
  OMX_ASSIGN(res.err, r.str("stderr", kMaxOutput));
  OMX_TRY(r.expect_end());
  return res;
}

std::vector<uint8_t> encode_refusal(const std::string& reason) {
  wire::Writer w;
  w.str(reason);
  return std::move(w).take();
}

Result<std::string> decode_refusal(std::span<const uint8_t> payload) {
  wire::Reader r(payload, "relay refusal");
  OMX_ASSIGN(std::string why, r.str("reason", 4096));
  OMX_TRY(r.expect_end());
  return why;
}

}  // namespace omx::relay
