// Framing: the fixed frame header every node-to-node message starts with, the message types,
// and the header decoder that rejects malformed frames before anything else is read or allocated.
//
// Frame = 24-byte header + `length` payload bytes. After the handshake every payload is
// AEAD-sealed (ciphertext followed by a 16-byte tag; see session_crypto.h) and the header is its
// associated data, so the header is authenticated too. Only the two handshake frames (kHello,
// kAuth) travel in clear, and they carry nothing secret.
//
// Threading: pure functions and constants; safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "base/result.h"

namespace omx::wire {

// "OMX1": the bytes 'O' 'M' 'X' '1' (4F 4D 58 31) on the wire, read as a little-endian u32.
inline constexpr uint32_t kMagic = 0x31584D4F;
// Bumped on any incompatible change of the header, the handshake or a message layout.
inline constexpr uint16_t kProtocolVersion = 1;

// Frame header, 24 bytes, all fields little-endian, no padding:
//
//   offset size field
//        0    4 magic     kMagic
//        4    2 version   kProtocolVersion; any other value is rejected
//        6    2 type      MsgType; unknown values are rejected
//        8    2 flags     no flag is defined in version 1: must be 0
//       10    2 reserved  must be 0
//       12    4 length    payload bytes that follow (AEAD tag included), <= kMaxPayload
//       16    8 sequence  per-direction frame counter: hello = 0, auth = 1, then 2, 3, ...
//                         A sealed frame must carry exactly the next expected value; its AEAD
//                         nonce is derived from it, so replayed or reordered frames fail to open.
struct FrameHeader {
  uint32_t magic = kMagic;
  uint16_t version = kProtocolVersion;
  uint16_t type = 0;  // a MsgType value; kept raw so a decoder can report unknown values
  uint16_t flags = 0;
  uint16_t reserved = 0;
  uint32_t length = 0;
  uint64_t sequence = 0;
};

inline constexpr size_t kHeaderSize = 24;
// Largest frame on the wire, header included. Bounds every allocation a peer can cause.
inline constexpr size_t kMaxFrameSize = 16u << 20;  // 16 MiB
inline constexpr uint32_t kMaxPayload = kMaxFrameSize - kHeaderSize;

// Message types. The high byte is the family; values are part of the protocol and never reused.
// Add new types inside their family's range; a peer that does not know a type rejects the frame,
// so new types must be gated by a negotiated feature bit (see handshake.h).
enum class MsgType : uint16_t {
  // 0x01xx session / handshake
  kHello = 0x0101,  // clear: magic, version, features, node id, nonce (handshake.h)
  kAuth = 0x0102,   // clear: MAC over the transcript proving knowledge of the cluster key
  kPing = 0x0103,
  kPong = 0x0104,
  kClose = 0x0105,  // orderly shutdown, payload: reason string
  kError = 0x0106,  // the sender gives up on the current exchange, payload: reason string
  kSessionOwner = 0x0107,  // initiator's first sealed frame: who the session acts for (session_owner.h)
  // 0x02xx migration (a transaction: offer -> accept -> image chunks -> commit -> ack; abort
  // from either side at any point before the ack leaves the process where it was)
  kMigrateOffer = 0x0201,
  kMigrateAccept = 0x0202,
  kMigrateImageChunk = 0x0203,
  kMigrateCommit = 0x0204,
  kMigrateAck = 0x0205,
  kMigrateAbort = 0x0206,
  // The migration engine's flow (src/migrate/protocol.h documents the sequence):
  kMigrateImage = 0x0207,     // the process image without pages (migrate/image_codec.h)
  kMigratePages = 0x0208,     // one run of pages: addr u64 + bytes
  kMigratePagesEnd = 0x0209,  // end of the page stream
  kMigrateHome = 0x020a,      // home asks the guest to send the process back
  kGoHome = 0x020b,           // the guest sends the process home: reason string, then image
  kBalancePolicy = 0x020c,    // home -> guest: automatic balancing on/off, lock (migrate/protocol.h)
  kBalanceMove = 0x020d,      // guest -> home: its balancer chose node u32 (reason string)
  kBodyStats = 0x020e,        // guest -> home: the body's CPU time and resident set (omx ps, mtop)
  // 0x03xx syscall forwarding between remote body and deputy
  kSyscallRequest = 0x0301,
  kSyscallReply = 0x0302,
  kSignal = 0x0303,
  kExit = 0x0304,
  kSyscallCancel = 0x0305,  // guest -> home: interrupt the call in flight (a signal arrived)
  kStopped = 0x0306,        // guest -> home: the body entered a job-control stop (u32 signal)
  kFdQuery = 0x0307,        // guest -> home (DFSA): what is the deputy's fd N? (migrate/protocol.h FdQuery)
  kFdInfo = 0x0308,         // home -> guest (DFSA): the answer (FdInfo)
  // 0x04xx gossip / discovery (usually as datagrams, see datagram.h)
  kGossipLoad = 0x0401,
  kDiscoverAnnounce = 0x0402,
  // 0x05xx control / mfs
  kControlRequest = 0x0501,
  kControlReply = 0x0502,
  kMfsRequest = 0x0581,
  kMfsReply = 0x0582,
  // Relay (kFeatureRelay): run one whitelisted command as the session owner (src/relay/protocol.h)
  kRelayRequest = 0x0591,
  kRelayReply = 0x0592,
};

bool is_known_type(uint16_t type);
// "migrate-offer", or "unknown(0x1234)" for values outside the enum.
std::string msg_type_name(uint16_t type);
inline std::string msg_type_name(MsgType t) { return msg_type_name(static_cast<uint16_t>(t)); }

void encode_header(const FrameHeader& h, std::span<uint8_t, kHeaderSize> out);

// Parses and validates a header: magic, version, known type, flags and reserved zero, length
// within kMaxPayload. The error (kProtocol) says what was wrong, for the caller to log.
Result<FrameHeader> decode_header(std::span<const uint8_t, kHeaderSize> in);

}  // namespace omx::wire
