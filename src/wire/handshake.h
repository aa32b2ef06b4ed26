// Handshake: mutual proof of the cluster key, feature negotiation and session-key derivation.
// A state machine without I/O, so that the blocking Channel and an asio event loop drive the same
// code: send hello_frame(); read the peer's header, ask next_payload_size(), read that many bytes,
// on_peer_hello(); send auth_frame(); read the peer's auth frame the same way, on_peer_auth().
//
// Protocol (both sides act at once; the roles only name the two key directions):
//
//   I -> R, R -> I   kHello frame, clear, sequence 0, payload (little-endian, 50 bytes):
//                      magic u32 (kMagic) | version u16 | features u64 | node id u32 | nonce[32]
//                    the nonce is fresh randomness for every connection attempt.
//   T  = BLAKE2b-256(hello frame of I || hello frame of R)      (header + payload bytes)
//   S  = BLAKE2b-256 keyed with the cluster key (T)
//   auth_I, auth_R, key_I->R, key_R->I = crypto_kdf(S, id 1..4, context "omx-wire")
//   I -> R, R -> I   kAuth frame, clear, sequence 1, payload: BLAKE2b-256 keyed with auth_X (T)
//
// Each side checks the peer's MAC (constant time). Only a holder of the cluster key can produce
// it, and it covers both fresh nonces, so a recorded handshake cannot be replayed; it covers both
// hellos, so features cannot be altered in transit. Session keys differ per connection and per
// direction. After both MACs check, frames are sealed by SessionCrypto, sequence 2 onwards.
// A side that fails verification just closes the connection (nothing unauthenticated is sent),
// so the peer fails too, with a read error or its own failed check.
//
// What authentication means here: the peer holds the cluster key. The node id in its hello is a
// claim by a cluster member, not separately proven (all members are equally trusted).
//
// Features: bits 0-15 belong to the wire library (kTransportFeatureMask), bits 16-63 to
// applications (passed in by the caller). The session's features are the intersection of both
// hellos; the AEAD is AES-256-GCM if both set kFeatureAes256Gcm, else ChaCha20-Poly1305.
//
// Threading: one Handshake per connection attempt, used from one thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "base/result.h"
#include "wire/frame.h"
#include "wire/key.h"
#include "wire/session_crypto.h"

namespace omx::wire {

enum class Role : uint8_t {
  kInitiator = 0,  // the side that connected
  kResponder = 1,  // the side that accepted
};

inline constexpr uint64_t kFeatureAes256Gcm = 1ull << 0;
inline constexpr uint64_t kTransportFeatureMask = 0xffff;
// Application feature bits (16-63).
// The peer serves /mfs file requests (kMfsRequest/kMfsReply, src/mfs/protocol.h). The design
// (docs/mfs-dfsa-design.md §1.3) said 1 << 8, but bits 0-15 are the transport's and
// app_features with those bits are refused (handshake.cc): it is bit 16.
inline constexpr uint64_t kFeatureMfs = 1ull << 16;
// The peer runs whitelisted commands for the session owner (kRelayRequest/kRelayReply,
// src/relay/protocol.h): `omx on NODE`, the web dashboard.
inline constexpr uint64_t kFeatureRelay = 1ull << 17;

// Transport bits this process offers (kFeatureAes256Gcm when the CPU has AES-NI).
uint64_t local_transport_features();

inline constexpr size_t kNonceSize = 32;
inline constexpr size_t kHelloSize = 4 + 2 + 8 + 4 + kNonceSize;
inline constexpr size_t kAuthSize = 32;

struct Hello {
  uint32_t magic = kMagic;
  uint16_t version = kProtocolVersion;
  uint64_t features = 0;
  uint32_t node = 0;
  std::array<uint8_t, kNonceSize> nonce{};
};

std::vector<uint8_t> encode_hello(const Hello& h);
Result<Hello> decode_hello(std::span<const uint8_t> payload);

// The outcome of a successful handshake.
struct Session {
  SessionCrypto crypto;
  uint32_t peer_node;
  uint64_t features;  // negotiated: intersection of both hellos
};

// What a side offers in its hello, and how it implements the session.
struct SessionOptions {
  // Application feature bits to offer: bits 16-63 only (OMX_CHECKed).
  uint64_t app_features = 0;
  // Offer AES-256-GCM when the CPU has AES-NI; false forces ChaCha20-Poly1305 (tests, benches).
  bool offer_aes256gcm = true;
  // Local AEAD implementation (invisible to the peer).
  AeadBackend backend = default_backend();
};

class Handshake {
 public:
  Handshake(const Key& key, Role role, uint32_t my_node, const SessionOptions& options = {});
  ~Handshake();

  // Our hello frame; send it first.
  std::span<const uint8_t> hello_frame() const { return my_hello_; }
  // Validates the header of the next expected peer frame (hello, then auth) and returns its
  // payload length. Anything else is rejected (kProtocol, or kRefused for a version mismatch).
  Result<uint32_t> next_payload_size(std::span<const uint8_t, kHeaderSize> header) const;
  // The peer's whole hello frame (header + payload).
  Status on_peer_hello(std::span<const uint8_t> frame);
  // Our auth frame; valid after on_peer_hello succeeded.
  std::span<const uint8_t> auth_frame() const { return my_auth_; }
  // The peer's whole auth frame. On success the session is established.
  Result<Session> on_peer_auth(std::span<const uint8_t> frame);

  uint32_t peer_node() const { return peer_.node; }

 private:
  enum class State { kWantHello, kWantAuth, kDone, kFailed };
  void derive(std::span<const uint8_t> peer_hello_frame);
  Error fail(Error e);

  Role role_;
  AeadBackend backend_;
  State state_ = State::kWantHello;
  Key key_;
  Hello mine_;
  Hello peer_;
  std::vector<uint8_t> my_hello_;
  std::vector<uint8_t> my_auth_;
  uint8_t peer_auth_expected_[kAuthSize];
  uint8_t tx_key_[kAeadKeySize];
  uint8_t rx_key_[kAeadKeySize];
};

}  // namespace omx::wire
