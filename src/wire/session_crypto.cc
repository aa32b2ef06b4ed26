#include "wire/session_crypto.h"

#include <cstring>

#include <fmt/format.h>
#include <sodium.h>

#include "wire/codec.h"
#include "wire/key.h"

namespace omx::wire {
namespace {

constexpr char kRekeyContext[crypto_kdf_CONTEXTBYTES + 1] = "omxrekey";
static_assert(crypto_kdf_KEYBYTES == kAeadKeySize);

void make_nonce(uint64_t seq, uint8_t (&nonce)[kAeadNonceSize]) {
  std::memset(nonce, 0, sizeof(nonce));
  store_le64(nonce, seq);
}

}  // namespace

SessionCrypto::SessionCrypto(AeadAlgorithm algorithm, std::span<const uint8_t, kAeadKeySize> tx_key,
                             std::span<const uint8_t, kAeadKeySize> rx_key, AeadBackend backend,
                             uint64_t rekey_bytes)
    : algorithm_(algorithm), backend_(backend), rekey_bytes_(rekey_bytes) {
  init_crypto();
  init_direction(tx_, tx_key);
  init_direction(rx_, rx_key);
}

SessionSecrets::~SessionSecrets() {
  sodium_memzero(tx.key, sizeof(tx.key));
  sodium_memzero(rx.key, sizeof(rx.key));
}

SessionCrypto::SessionCrypto(const SessionSecrets& s, AeadBackend backend)
    : algorithm_(s.algorithm), backend_(backend), rekey_bytes_(s.rekey_bytes) {
  init_crypto();
  for (auto [d, from] : {std::pair{&tx_, &s.tx}, std::pair{&rx_, &s.rx}}) {
    init_direction(*d, std::span<const uint8_t, kAeadKeySize>(from->key));
    d->seq = from->seq;
    d->bytes = from->bytes;
    d->epoch = from->epoch;
  }
}

Result<SessionSecrets> SessionCrypto::export_secrets() const {
  if (failure_) return make_error(ErrorCode::kProtocol, "export of a failed session: " + failure_->message());
  SessionSecrets s;
  s.algorithm = algorithm_;
  s.rekey_bytes = rekey_bytes_;
  for (auto [to, d] : {std::pair{&s.tx, &tx_}, std::pair{&s.rx, &rx_}}) {
    std::memcpy(to->key, d->key, kAeadKeySize);
    to->seq = d->seq;
    to->bytes = d->bytes;
    to->epoch = d->epoch;
  }
  return s;
}

SessionCrypto::~SessionCrypto() {
  sodium_memzero(tx_.key, sizeof(tx_.key));
  sodium_memzero(rx_.key, sizeof(rx_.key));
}

SessionCrypto::SessionCrypto(SessionCrypto&&) noexcept = default;
SessionCrypto& SessionCrypto::operator=(SessionCrypto&&) noexcept = default;

void SessionCrypto::init_direction(Direction& d, std::span<const uint8_t, kAeadKeySize> key) {
  std::memcpy(d.key, key.data(), kAeadKeySize);
  d.aead.emplace(algorithm_, backend_, std::span<const uint8_t, kAeadKeySize>(d.key));
}

// Counts a frame; rotates the key once enough bytes went under it. Both ends see the same frame
// lengths in the same order, so they rotate at the same frame boundary.
void SessionCrypto::after_frame(Direction& d, size_t frame_length) {
  ++d.seq;
  d.bytes += frame_length;
  if (d.bytes < rekey_bytes_) return;
  uint8_t next[kAeadKeySize];
  ++d.epoch;
  crypto_kdf_derive_from_key(next, sizeof(next), d.epoch, kRekeyContext, d.key);
  init_direction(d, std::span<const uint8_t, kAeadKeySize>(next));
  sodium_memzero(next, sizeof(next));
  d.bytes = 0;
}

Error SessionCrypto::fail(Error e) {
  if (!failure_) failure_ = e;
  return e;
}

Status SessionCrypto::seal_impl(MsgType type, const uint8_t* in, size_t n, uint8_t* frame) {
  if (failure_) {
    return make_error(failure_->code, "session closed after an earlier error: " +
                                          failure_->message());
  }
  if (n > kMaxMessage) {
    return make_error(ErrorCode::kInvalid,
                      fmt::format("{} message of {} bytes exceeds the frame limit of {}",
                                  msg_type_name(type), n, kMaxMessage));
  }
  if (tx_.seq == UINT64_MAX) return fail(make_error(ErrorCode::kProtocol, "sequence exhausted"));
  FrameHeader h;
  h.type = static_cast<uint16_t>(type);
  h.length = static_cast<uint32_t>(n + kAeadTagSize);
  h.sequence = tx_.seq;
  std::span<uint8_t, kHeaderSize> header(frame, kHeaderSize);
  encode_header(h, header);
  uint8_t nonce[kAeadNonceSize];
  make_nonce(tx_.seq, nonce);
  tx_.aead->seal(nonce, header, in, n, frame + kHeaderSize, frame + kHeaderSize + n);
  after_frame(tx_, h.length);
  return ok_status();
}

Status SessionCrypto::seal(MsgType type, std::span<const uint8_t> payload, std::span<uint8_t> out) {
  OMX_CHECK(out.size() == sealed_size(payload.size()), "seal: output is %zu bytes, need %zu",
            out.size(), sealed_size(payload.size()));
  return seal_impl(type, payload.data(), payload.size(), out.data());
}

Status SessionCrypto::seal_in_place(MsgType type, std::span<uint8_t> frame) {
  OMX_CHECK(frame.size() >= kOverhead, "seal_in_place: frame of %zu bytes", frame.size());
  size_t n = frame.size() - kOverhead;
  return seal_impl(type, frame.data() + kHeaderSize, n, frame.data());
}

Result<MsgType> SessionCrypto::open(std::span<const uint8_t, kHeaderSize> header,
                                    std::span<const uint8_t> body, std::span<uint8_t> out) {
  if (failure_) {
    return make_error(failure_->code, "session closed after an earlier error: " +
                                          failure_->message());
  }
  auto h = decode_header(header);
  if (!h.ok()) return fail(h.error());
  if (h->length != body.size() || body.size() < kAeadTagSize) {
    return fail(make_error(ErrorCode::kProtocol,
                           fmt::format("frame rejected: {} body of {} bytes, header says {}",
                                       msg_type_name(h->type), body.size(), h->length)));
  }
  size_t n = body.size() - kAeadTagSize;
  OMX_CHECK(out.size() >= n, "open: output of %zu bytes for %zu", out.size(), n);
  if (h->sequence != rx_.seq) {
    return fail(make_error(ErrorCode::kProtocol,
                           fmt::format("frame rejected: {} has sequence {}, expected {} "
                                       "(replayed, reordered or lost frame)",
                                       msg_type_name(h->type), h->sequence, rx_.seq)));
  }
  uint8_t nonce[kAeadNonceSize];
  make_nonce(rx_.seq, nonce);
  if (!rx_.aead->open(nonce, header, body.data(), n, out.data(), body.data() + n)) {
    return fail(make_error(ErrorCode::kProtocol,
                           fmt::format("frame rejected: {} frame {} failed authentication "
                                       "(modified, truncated or forged)",
                                       msg_type_name(h->type), h->sequence)));
  }
  after_frame(rx_, h->length);
  return static_cast<MsgType>(h->type);
}

}  // namespace omx::wire
