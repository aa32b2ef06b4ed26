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
// AEAD choice: the fastest available at runtime. AES-256-GCM when both peers have AES-NI +
// PCLMULQDQ, else ChaCha20-Poly1305; each through OpenSSL's libcrypto when built in (same bytes
// as libsodium, about 2.5x faster), else libsodium. Measured by bench/wire_bench.cc on the
// shared 2-vCPU AMD EPYC (Zen 4, 2.6 GHz) dev VM, 1 MiB messages, quiet machine, medians:
//
//   memcpy (hot cache)                        43.9 GB/s
//   AES-256-GCM        OpenSSL 3.0   seal 4.25  open 4.20 GB/s   (10.6x memcpy time)  <- chosen
//   ChaCha20-Poly1305  OpenSSL 3.0   seal 3.47  open 3.25 GB/s
//   AES-256-GCM        libsodium     seal 1.66  open 1.52 GB/s
//   ChaCha20-Poly1305  libsodium     seal 1.41  open 1.27 GB/s   (XChaCha20: 1.41)
//   raw loopback TCP, 64 MiB in 1 MiB writes        4.7 GB/s
//   Channel, same 64 MiB in 1 MiB frames            2.24 GB/s = 2.05x raw TCP time
//     (ChaCha/OpenSSL 2.2x, AES/libsodium 3.4x, ChaCha/libsodium 4.0x)
//
// On loopback both ends' crypto shares the two vCPUs with the kernel's copies, so ~1.95x is the
// floor there (sealing + opening is ~half of all CPU time; perf confirms nothing else of ours
// shows); with other builds running the ratio rises to 2-3x. Between real nodes (not measured
// here) each end seals or opens at >4 GB/s on its own core and a sender manages ~2.3 GB/s of
// seal + send per connection, more than a 10 GbE link carries, so the channel is expected to stay
// close to the raw TCP time; links faster than ~2 GB/s would need sealing pipelined on a second
// core (seal frame k+1 while frame k is being sent).
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

// The secret state of one established session: enough for another process to go on with it
// (omxd makes the handshake for an unprivileged user's process and hands it the connected socket
// plus these; channel_handoff.h). Holds live keys: zeroed on destruction, never logged.
struct SessionSecrets {
  struct Direction {
    uint8_t key[kAeadKeySize] = {};
    uint64_t seq = kFirstSealedSequence;
    uint64_t bytes = 0;
    uint64_t epoch = 0;
  };
  AeadAlgorithm algorithm = AeadAlgorithm::kChaCha20Poly1305;
  uint64_t rekey_bytes = kRekeyBytes;
  Direction tx, rx;
  SessionSecrets() = default;
  SessionSecrets(const SessionSecrets&) = default;
  SessionSecrets& operator=(const SessionSecrets&) = default;
  ~SessionSecrets();
};

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
  // Goes on with a session another process established (see SessionSecrets).
  explicit SessionCrypto(const SessionSecrets& secrets, AeadBackend backend = default_backend());
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

  // The current keys and counters; kProtocol if the session already failed.
  Result<SessionSecrets> export_secrets() const;

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
