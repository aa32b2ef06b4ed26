// Dashboard tokens: "UID.MAC", where MAC is libsodium crypto_auth (HMAC-SHA512-256) of the
// decimal uid under a key derived (crypto_kdf, context "omxdash1") from a secret file. The
// secret file is the cluster key (omxd --key) when there is one, else a random key file made
// on first use (mode 0600, root's). Only root can read it; users get their own token from
// omxd's op "dashboard_token", which mints it for the uid SO_PEERCRED names (daemon side), so a
// token proves "omxd gave this to uid U". Tokens do not expire; changing the secret revokes
// them all.
//
// Pure functions over a TokenKey; thread-safe.
#pragma once

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace omx::dashboard {

struct TokenKey {
  std::array<uint8_t, 32> bytes{};
};

// Reads the secret file (a wire key file: 64 hex characters, mode 0600) and derives the token
// key from it. create_if_missing: a missing file is created with a fresh random key first.
Result<TokenKey> load_token_key(const std::string& secret_file, bool create_if_missing);
// The derivation alone (for tests and for omxd, which has the cluster key loaded already).
TokenKey derive_token_key(const uint8_t (&secret)[32]);

std::string mint_token(const TokenKey& key, uid_t uid);
// The uid a token names, or nothing when it is malformed or its MAC does not verify.
std::optional<uid_t> verify_token(const TokenKey& key, std::string_view token);

}  // namespace omx::dashboard
