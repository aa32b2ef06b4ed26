// SessionCrypto: seals and opens the frames of one established session. No I/O: the blocking
// Channel (channel.h) uses it, and so can an asio event loop (feed it header and body bytes as
// they arrive; send what it seals).
//
// Sealed frame = header (frame.h) + ciphertext + 16-byte tag; header.length covers ciphertext and
// tag. The whole 24-byte header is the AEAD associated data. Each direction has its own key
// (derived in the handshake) and its own counter: the nonce of a frame is its sequence number
// (8 bytes little-endian, then 4 zero bytes), and the receiver opens frame k only with the nonce
// for the k-th expected sequence, so a replayed, dropped, reordered, truncated or modified frame
// fails to open. The first failure poisons the object: every later seal/open fails, the session
// is over (the Channel closes its connection).
//
// Rekeying: after kRekeyBytes sealed bytes in one direction both ends replace that direction's
// key with KDF(old key, epoch), at the same frame boundary, well before AES-GCM's per-key usage
// bound (libsodium recommends < ~350 GB per key).
//
// AEAD choice: AES-256-GCM when both peers have AES-NI, else ChaCha20-Poly1305, each through
// OpenSSL's libcrypto when built in (about 2x libsodium 1.0.18 on our Zen 4 VMs: AES-256-GCM
// ~4.3 vs ~1.8 GB/s, ChaCha20-Poly1305 ~3.7 vs ~1.5 GB/s, first measurements with 1 MiB messages;
// bench/wire_bench.cc measures them against memcpy and raw loopback TCP).
//
// Threading: not thread-safe; use it from the one thread (or asio strand) owning the connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "base/result.h"
#include "wire/aead.h"
#include "wire/frame.h"

namespace omx::wire {

// Sequence number of the first sealed frame in each direction (hello = 0, auth = 1).
inline constexpr uint64_t kFirstSealedSequence = 2;
// Bytes sealed under one key before both ends rotate it.
inline constexpr uint64_t kRekeyBytes = 64ull << 30;  // 64 GiB

class SessionCrypto {
 public:
  static constexpr size_t kOverhead = kHeaderSize + kAeadTagSize;
  // Largest payload one frame can carry.
  static constexpr size_t kMaxMessage = kMaxPayload - kAeadTagSize;
  static constexpr size_t sealed_size(size_t payload) { return payload + kOverhead; }

  // Normally built by Handshake. tx_key seals what we send, rx_key opens what we receive.
  SessionCrypto(AeadAlgorithm algorithm, std::span<const uint8_t, kAeadKeySize> tx_key,
                std::span<const uint8_t, kAeadKeySize> rx_key,
                AeadBackend backend = default_backend(), uint64_t rekey_bytes = kRekeyBytes);
  ~SessionCrypto();
  SessionCrypto(SessionCrypto&&) noexcept;
  SessionCrypto& operator=(SessionCrypto&&) noexcept;

  // Seals `payload` as the next frame of type `type` into `out`, which must be exactly
  // sealed_size(payload.size()) bytes and must not overlap `payload`.
  // kInvalid if the payload exceeds kMaxMessage (nothing consumed, session stays usable).
  Status seal(MsgType type, std::span<const uint8_t> payload, std::span<uint8_t> out);
  // Same, in place: frame = [kHeaderSize bytes, filled here][payload][kAeadTagSize, filled here].
  Status seal_in_place(MsgType type, std::span<uint8_t> frame);

  // Opens the next received frame. `header` is its 24 header bytes, `body` its header.length
  // bytes. The plaintext (body.size() - kAeadTagSize bytes) is written to `out`, which may be
  // body's own memory (in place). Returns the frame's type; kProtocol on any failure.
  Result<MsgType> open(std::span<const uint8_t, kHeaderSize> header,
                       std::span<const uint8_t> body, std::span<uint8_t> out);

  AeadAlgorithm algorithm() const { return algorithm_; }
  AeadBackend backend() const { return backend_; }
  uint64_t next_tx_sequence() const { return tx_.seq; }
  uint64_t next_rx_sequence() const { return rx_.seq; }
  // The first error that ended the session, if any.
  const std::optional<Error>& failure() const { return failure_; }

 private:
  struct Direction {
    std::optional<Aead> aead;
    uint8_t key[kAeadKeySize];
    uint64_t seq = kFirstSealedSequence;
    uint64_t bytes = 0;  // sealed bytes under the current key
    uint64_t epoch = 0;  // rekeys so far
  };

  void init_direction(Direction& d, std::span<const uint8_t, kAeadKeySize> key);
  void after_frame(Direction& d, size_t frame_length);
  Status seal_impl(MsgType type, const uint8_t* in, size_t n, uint8_t* frame);
  Error fail(Error e);

  AeadAlgorithm algorithm_;
  AeadBackend backend_;
  uint64_t rekey_bytes_;
  Direction tx_;
  Direction rx_;
  std::optional<Error> failure_;
};

}  // namespace omx::wire
