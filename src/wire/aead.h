// AEAD primitives for sealed frames: one algorithm, one key, one direction.
//
// Two algorithms are on the wire, chosen per session by the handshake:
//   * AES-256-GCM when both peers have AES-NI + PCLMULQDQ (crypto_aead_aes256gcm_is_available()),
//   * ChaCha20-Poly1305 (IETF, RFC 8439) otherwise.
// Both are standard constructions, so the implementation ("backend") is a local choice that the
// peer cannot see: libsodium always, OpenSSL's libcrypto when omx was built with it (it is the
// faster one; see bench/wire_bench.cc and the numbers in session_crypto.h). Tests check that the
// two backends produce identical bytes.
//
// Nonces are 12 bytes; callers derive them from a per-direction counter and must never reuse
// one with the same key (SessionCrypto does this).
//
// Threading: an Aead object is not thread-safe (the OpenSSL backend keeps a cipher context);
// use one per thread or direction. The free functions are thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

namespace omx::wire {

inline constexpr size_t kAeadKeySize = 32;
inline constexpr size_t kAeadNonceSize = 12;
inline constexpr size_t kAeadTagSize = 16;

enum class AeadAlgorithm : uint8_t {
  kAes256Gcm = 1,
  kChaCha20Poly1305 = 2,
};

enum class AeadBackend : uint8_t {
  kSodium = 1,
  kOpenSsl = 2,
};

std::string_view aead_name(AeadAlgorithm a);
std::string_view backend_name(AeadBackend b);

// AES-256-GCM is offered only with hardware AES and carry-less multiply (constant time, fast).
bool aead_available(AeadAlgorithm a);
// OpenSSL is available when omx was built with it.
bool backend_available(AeadBackend b);
// The fastest backend compiled in.
AeadBackend default_backend();

class Aead {
 public:
  // Precomputes the key schedule. OMX_CHECKs that the algorithm and backend are available.
  Aead(AeadAlgorithm algorithm, AeadBackend backend, std::span<const uint8_t, kAeadKeySize> key);
  ~Aead();
  Aead(Aead&&) noexcept;
  Aead& operator=(Aead&&) noexcept;

  // Encrypts n bytes from `in` to `out` and writes the tag. `out` may equal `in` (in place) but
  // must not otherwise overlap it. n <= 2^31 - 1.
  void seal(std::span<const uint8_t, kAeadNonceSize> nonce, std::span<const uint8_t> ad,
            const uint8_t* in, size_t n, uint8_t* out, uint8_t* tag);
  // Verifies and decrypts; false if the tag does not match, and then `out` is zeroed.
  [[nodiscard]] bool open(std::span<const uint8_t, kAeadNonceSize> nonce,
                          std::span<const uint8_t> ad, const uint8_t* in, size_t n, uint8_t* out,
                          const uint8_t* tag);

  AeadAlgorithm algorithm() const { return algorithm_; }
  AeadBackend backend() const { return backend_; }

  class Impl;

 private:
  AeadAlgorithm algorithm_;
  AeadBackend backend_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace omx::wire
