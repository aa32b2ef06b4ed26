// The cluster key: a 32-byte secret shared by every node. Knowing it is what makes a machine a
// member of the cluster: every stream connection proves knowledge of it in the handshake
// (handshake.h) and every datagram is sealed with a key derived from it (datagram.h).
//
// Key file format: 64 lowercase or uppercase hex characters followed by one newline. Like ssh
// with private keys, load_key refuses a file that group or others may access (any of the mode
// bits 077), or that is owned by someone other than the caller or root.
//
// Threading: Key is a plain value (wiped on destruction); the functions are thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "base/result.h"

namespace omx::wire {

inline constexpr size_t kKeySize = 32;

class Key {
 public:
  Key() = default;  // all zero: only a placeholder, never a real key
  explicit Key(std::span<const uint8_t, kKeySize> bytes);
  Key(const Key& o) = default;
  Key& operator=(const Key& o) = default;
  ~Key();

  // Exactly 64 hex characters.
  static Result<Key> from_hex(std::string_view hex);
  std::string to_hex() const;

  std::span<const uint8_t, kKeySize> bytes() const { return bytes_; }
  bool operator==(const Key& o) const;

 private:
  std::array<uint8_t, kKeySize> bytes_{};
};

// A fresh random key (libsodium's CSPRNG).
Key generate_key();

// Reads a key file; see the format and permission rules above. Errors name the file and say how
// to fix it ("chmod 600 FILE").
Result<Key> load_key(const std::string& path);

// Creates a new key file with mode 0600 (fails if it exists; never overwrites a key).
Status save_key(const Key& key, const std::string& path);

// Initialises libsodium once (idempotent, thread-safe). Every entry point of this library that
// needs crypto calls it; callers never need to.
void init_crypto();

}  // namespace omx::wire
