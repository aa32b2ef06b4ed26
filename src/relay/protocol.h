// The relay session (kFeatureRelay): one command run as the session owner on another node.
//
//   client -> omxd   kSessionOwner {uid, gid, groups}       (wire/session_owner.h)
//   client -> omxd   kRelayRequest {timeout_ms, argv}
//   omxd   -> client kRelayReply {flags, exit_code, out, err}   the command ran (any outcome)
//                 or kError {reason}                            it did not run (not allowed,
//                                                               set-up failed, shutting down)
//   then both close. omxd's forked connection child (migrate/guest_acceptor.h) runs the command
//   with relay::run_as as the owner's uid/gid (root too: nodes trust each other's statement of
//   the owner as for migration; only key holders get past the handshake), the whitelist checked
//   again there.
//
// Payloads (little-endian, wire/codec.h):
//   request: timeout_ms u32 (1..kMaxTimeoutMs) | argc u32 (1..kMaxArgs) | argc x str
//            (each <= kMaxArgLength bytes, no NUL)
//   reply:   flags u8 (bit 0 timed out, bit 1 stdout truncated, bit 2 stderr truncated; others 0)
//            | exit_code u32 (two's complement i32: 0..255, or -1..-64 for a signal)
//            | out bytes (<= kMaxOutput) | err bytes (<= kMaxOutput)
// The decoders reject anything else (truncated, trailing bytes, out-of-range values).
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "relay/run_as.h"

namespace omx::relay {

inline constexpr uint32_t kMaxTimeoutMs = 3600 * 1000;
inline constexpr uint32_t kMaxArgs = 256;
inline constexpr uint32_t kMaxArgLength = 4096;
inline constexpr uint32_t kMaxOutput = 4 << 20;  // per stream; run_as keeps kDefaultMaxOutput

struct RelayRequest {
  uint32_t timeout_ms = 0;
  std::vector<std::string> argv;
  bool operator==(const RelayRequest&) const = default;
};

std::vector<uint8_t> encode_request(const RelayRequest& r);
Result<RelayRequest> decode_request(std::span<const uint8_t> payload);

std::vector<uint8_t> encode_reply(const RunResult& r);
Result<RunResult> decode_reply(std::span<const uint8_t> payload);

// The kError payload: a reason string (as the migration protocol's).
std::vector<uint8_t> encode_refusal(const std::string& reason);
Result<std::string> decode_refusal(std::span<const uint8_t> payload);

}  // namespace omx::relay
