#include "dashboard/token.h"

#include <sys/stat.h>

#include <charconv>
#include <cstring>

#include <fmt/format.h>
#include <sodium.h>

#include "wire/key.h"

namespace omx::dashboard {
namespace {

constexpr char kContext[crypto_kdf_CONTEXTBYTES + 1] = "omxdash1";
constexpr uint64_t kSubkeyId = 1;


}  // namespace

TokenKey derive_token_key(const uint8_t (&secret)[32]) {
  wire::init_crypto();
  static_assert(crypto_kdf_KEYBYTES == 32 && crypto_auth_KEYBYTES == 32);
  TokenKey k;
  crypto_kdf_derive_from_key(k.bytes.data(), k.bytes.size(), kSubkeyId, kContext, secret);
  return k;
}

Result<TokenKey> load_token_key(const std::string& secret_file, bool create_if_missing) {
  struct stat st;
  if (::stat(secret_file.c_str(), &st) != 0) {
    if (errno != ENOENT || !create_if_missing)
      return sys_error(fmt::format("token secret {}", secret_file));
    OMX_TRY(wire::save_key(wire::generate_key(), secret_file));
  }
  OMX_ASSIGN(wire::Key key, wire::load_key(secret_file));
  uint8_t raw[32];
  std::memcpy(raw, key.bytes().data(), sizeof raw);
  TokenKey k = derive_token_key(raw);
  sodium_memzero(raw, sizeof raw);
  return k;
}

std::string mint_token(const TokenKey& key, uid_t uid) {
  wire::init_crypto();
  std::string msg = std::to_string(uid);
  uint8_t mac[crypto_auth_BYTES];
  crypto_auth(mac, reinterpret_cast<const uint8_t*>(msg.data()), msg.size(), key.bytes.data());
  std::string h(crypto_auth_BYTES * 2 + 1, '\0');
  sodium_bin2hex(h.data(), h.size(), mac, sizeof mac);
  h.pop_back();
  return msg + "." + h;
}

std::optional<uid_t> verify_token(const TokenKey& key, std::string_view token) {
  auto dot = token.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot > 10) return std::nullopt;
  std::string_view num = token.substr(0, dot), mac_hex = token.substr(dot + 1);
  if (mac_hex.size() != crypto_auth_BYTES * 2) return std::nullopt;
  uint32_t uid = 0;
  auto [end, ec] = std::from_chars(num.data(), num.data() + num.size(), uid);
  if (ec != std::errc() || end != num.data() + num.size()) return std::nullopt;
  if (std::to_string(uid) != num) return std::nullopt;  // canonical decimal only ("007" is not 7)
  uint8_t mac[crypto_auth_BYTES];
  size_t len = 0;
  if (sodium_hex2bin(mac, sizeof mac, mac_hex.data(), mac_hex.size(), nullptr, &len, nullptr) != 0 ||
      len != sizeof mac)
    return std::nullopt;
  wire::init_crypto();
  if (crypto_auth_verify(mac, reinterpret_cast<const uint8_t*>(num.data()), num.size(),
                         key.bytes.data()) != 0)
    return std::nullopt;
  return static_cast<uid_t>(uid);
}

}  // namespace omx::dashboard
