// Channel handoff: one process makes the authenticated handshake, another goes on with the
// session. omxd holds the cluster key; an unprivileged user's home supervisor must not. So the
// supervisor asks its node's omxd for a channel to node N (migrate/channel_broker.h); omxd
// connects, runs the handshake, sends the session-owner frame (session_owner.h), then passes the
// connected socket (SCM_RIGHTS) and the session's keys and counters to the supervisor, which
// adopts them with Channel::adopt. The user thereby learns the keys of this one session, which
// protect nothing but its own process; the cluster key never leaves omxd.
//
// Encoding of a ChannelHandoff (little-endian, wire::Writer): node u32, peer node u32,
// features u64, algorithm u8, rekey bytes u64, then for tx and rx: key[32], seq u64,
// bytes u64, epoch u64.
//
// send_with_fd/recv_with_fd move one message and at most one fd over a unix SOCK_SEQPACKET
// socket (message boundaries kept, so a request and its reply are each one datagram).
//
// Threading: pure functions; no shared state.
#pragma once

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "base/result.h"
#include "base/scoped_fd.h"
#include "wire/channel.h"
#include "wire/session_crypto.h"

namespace omx::wire {

struct ChannelHandoff {
  uint32_t node = 0;
  uint32_t peer_node = 0;
  uint64_t features = 0;
  SessionSecrets secrets;
};

std::vector<uint8_t> encode_handoff(const ChannelHandoff& h);
Result<ChannelHandoff> decode_handoff(std::span<const uint8_t> payload);

// Sends `msg` with `fd` attached (fd < 0: none).
Status send_with_fd(int sock, std::span<const uint8_t> msg, int fd = -1);
// Receives one message (at most kMaxHandoffMessage bytes) and the fd attached to it, if any;
// waits at most `timeout`. Extra fds, a truncated message or control data are errors.
inline constexpr size_t kMaxHandoffMessage = 4096;
Result<std::pair<std::vector<uint8_t>, ScopedFd>> recv_with_fd(int sock, Duration timeout);

}  // namespace omx::wire
