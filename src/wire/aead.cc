#include "wire/aead.h"

#include <climits>
#include <cstring>

#include <sodium.h>

#if OMX_WIRE_HAVE_OPENSSL
#include <openssl/evp.h>
#endif

#include "base/check.h"
#include "wire/key.h"

namespace omx::wire {

class Aead::Impl {
 public:
  virtual ~Impl() = default;
  virtual void seal(const uint8_t* nonce, std::span<const uint8_t> ad, const uint8_t* in,
                    size_t n, uint8_t* out, uint8_t* tag) = 0;
  virtual bool open(const uint8_t* nonce, std::span<const uint8_t> ad, const uint8_t* in,
                    size_t n, uint8_t* out, const uint8_t* tag) = 0;
};

namespace {

class SodiumAesGcm final : public Aead::Impl {
 public:
  explicit SodiumAesGcm(const uint8_t* key) { crypto_aead_aes256gcm_beforenm(&state_, key); }
  ~SodiumAesGcm() override { sodium_memzero(&state_, sizeof(state_)); }
  void seal(const uint8_t* nonce, std::span<const uint8_t> ad, const uint8_t* in, size_t n,
            uint8_t* out, uint8_t* tag) override {
    crypto_aead_aes256gcm_encrypt_detached_afternm(out, tag, nullptr, in, n, ad.data(), ad.size(),
                                                   nullptr, nonce, &state_);
  }
  bool open(const uint8_t* nonce, std::span<const uint8_t> ad, const uint8_t* in, size_t n,
            uint8_t* out, const uint8_t* tag) override {
    return crypto_aead_aes256gcm_decrypt_detached_afternm(out, nullptr, in, n, tag, ad.data(),
                                                          ad.size(), nonce, &state_) == 0;
  }

 private:
  crypto_aead_aes256gcm_state state_;  // 16-byte aligned; `new` honours over-alignment (C++17)
};

class SodiumChaCha final : public Aead::Impl {
 public:
  explicit SodiumChaCha(const uint8_t* key) { std::memcpy(key_, key, sizeof(key_)); }
  ~SodiumChaCha() override { sodium_memzero(key_, sizeof(key_)); }
  void seal(const uint8_t* nonce, std::span<const uint8_t> ad, const uint8_t* in, size_t n,
            uint8_t* out, uint8_t* tag) override {
    crypto_aead_chacha20poly1305_ietf_encrypt_detached(out, tag, nullptr, in, n, ad.data(),
                                                       ad.size(), nullptr, nonce, key_);
  }
  bool open(const uint8_t* nonce, std::span<const uint8_t> ad, const uint8_t* in, size_t n,
            uint8_t* out, const uint8_t* tag) override {
    return crypto_aead_chacha20poly1305_ietf_decrypt_detached(out, nullptr, in, n, tag, ad.data(),
                                                              ad.size(), nonce, key_) == 0;
  }

 private:
  uint8_t key_[kAeadKeySize];
};

#if OMX_WIRE_HAVE_OPENSSL
// OpenSSL EVP: the key schedule is set once per context; each message only sets the IV.
class OpenSslAead final : public Aead::Impl {
 public:
  OpenSslAead(AeadAlgorithm a, const uint8_t* key) {
    const EVP_CIPHER* cipher =
        a == AeadAlgorithm::kAes256Gcm ? EVP_aes_256_gcm() : EVP_chacha20_poly1305();
    enc_ = EVP_CIPHER_CTX_new();
    dec_ = EVP_CIPHER_CTX_new();
    OMX_CHECK(enc_ && dec_, "EVP_CIPHER_CTX_new failed");
    OMX_CHECK(EVP_EncryptInit_ex(enc_, cipher, nullptr, key, nullptr) == 1, "EVP_EncryptInit");
    OMX_CHECK(EVP_DecryptInit_ex(dec_, cipher, nullptr, key, nullptr) == 1, "EVP_DecryptInit");
  }
  ~OpenSslAead() override {
    EVP_CIPHER_CTX_free(enc_);
    EVP_CIPHER_CTX_free(dec_);
  }
  void seal(const uint8_t* nonce, std::span<const uint8_t> ad, const uint8_t* in, size_t n,
            uint8_t* out, uint8_t* tag) override {
    int len = 0;
    bool ok = EVP_EncryptInit_ex(enc_, nullptr, nullptr, nullptr, nonce) == 1 &&
              EVP_EncryptUpdate(enc_, nullptr, &len, ad.data(), static_cast<int>(ad.size())) == 1 &&
              (n == 0 || EVP_EncryptUpdate(enc_, out, &len, in, static_cast<int>(n)) == 1) &&
              EVP_EncryptFinal_ex(enc_, out + n, &len) == 1 &&
              EVP_CIPHER_CTX_ctrl(enc_, EVP_CTRL_AEAD_GET_TAG, kAeadTagSize, tag) == 1;
    OMX_CHECK(ok, "OpenSSL AEAD seal failed");
  }
  bool open(const uint8_t* nonce, std::span<const uint8_t> ad, const uint8_t* in, size_t n,
            uint8_t* out, const uint8_t* tag) override {
    int len = 0;
    bool ok = EVP_DecryptInit_ex(dec_, nullptr, nullptr, nullptr, nonce) == 1 &&
              EVP_DecryptUpdate(dec_, nullptr, &len, ad.data(), static_cast<int>(ad.size())) == 1 &&
              (n == 0 || EVP_DecryptUpdate(dec_, out, &len, in, static_cast<int>(n)) == 1);
    OMX_CHECK(ok, "OpenSSL AEAD open failed");
    OMX_CHECK(EVP_CIPHER_CTX_ctrl(dec_, EVP_CTRL_AEAD_SET_TAG, kAeadTagSize,
                                  const_cast<uint8_t*>(tag)) == 1,
              "OpenSSL set tag");
    return EVP_DecryptFinal_ex(dec_, out + n, &len) == 1;
  }

 private:
  EVP_CIPHER_CTX* enc_ = nullptr;
  EVP_CIPHER_CTX* dec_ = nullptr;
};
#endif

}  // namespace

std::string_view aead_name(AeadAlgorithm a) {
  switch (a) {
    case AeadAlgorithm::kAes256Gcm: return "aes-256-gcm";
    case AeadAlgorithm::kChaCha20Poly1305: return "chacha20-poly1305";
  }
  return "?";
}

std::string_view backend_name(AeadBackend b) {
  switch (b) {
    case AeadBackend::kSodium: return "libsodium";
    case AeadBackend::kOpenSsl: return "openssl";
  }
  return "?";
}

bool aead_available(AeadAlgorithm a) {
  init_crypto();
  if (a == AeadAlgorithm::kAes256Gcm) return crypto_aead_aes256gcm_is_available() != 0;
  return true;
}

bool backend_available(AeadBackend b) {
  if (b == AeadBackend::kOpenSsl) return OMX_WIRE_HAVE_OPENSSL != 0;
  return true;
}

AeadBackend default_backend() {
  return backend_available(AeadBackend::kOpenSsl) ? AeadBackend::kOpenSsl : AeadBackend::kSodium;
}

Aead::Aead(AeadAlgorithm algorithm, AeadBackend backend,
           std::span<const uint8_t, kAeadKeySize> key)
    : algorithm_(algorithm), backend_(backend) {
  OMX_CHECK(aead_available(algorithm), "AEAD %s is not available on this CPU",
            aead_name(algorithm).data());
  OMX_CHECK(backend_available(backend), "AEAD backend %s was not built in",
            backend_name(backend).data());
#if OMX_WIRE_HAVE_OPENSSL
  if (backend == AeadBackend::kOpenSsl) {
    impl_ = std::make_unique<OpenSslAead>(algorithm, key.data());
    return;
  }
#endif
  if (algorithm == AeadAlgorithm::kAes256Gcm) {
    impl_ = std::make_unique<SodiumAesGcm>(key.data());
  } else {
    impl_ = std::make_unique<SodiumChaCha>(key.data());
  }
}

Aead::~Aead() = default;
Aead::Aead(Aead&&) noexcept = default;
Aead& Aead::operator=(Aead&&) noexcept = default;

void Aead::seal(std::span<const uint8_t, kAeadNonceSize> nonce, std::span<const uint8_t> ad,
                const uint8_t* in, size_t n, uint8_t* out, uint8_t* tag) {
  OMX_CHECK(n <= INT_MAX, "AEAD message of %zu bytes is too large", n);
  impl_->seal(nonce.data(), ad, in, n, out, tag);
}

bool Aead::open(std::span<const uint8_t, kAeadNonceSize> nonce, std::span<const uint8_t> ad,
                const uint8_t* in, size_t n, uint8_t* out, const uint8_t* tag) {
  OMX_CHECK(n <= INT_MAX, "AEAD message of %zu bytes is too large", n);
  if (impl_->open(nonce.data(), ad, in, n, out, tag)) return true;
  sodium_memzero(out, n);  // never leave unauthenticated plaintext behind
  return false;
}

}  // namespace omx::wire
