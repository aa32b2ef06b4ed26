#include "wire/handshake.h"

#include <cstring>

#include <fmt/format.h>
#include <sodium.h>

#include "wire/codec.h"

namespace omx::wire {
namespace {

constexpr char kKdfContext[crypto_kdf_CONTEXTBYTES + 1] = "omx-wire";
enum KdfId : uint64_t { kAuthInitiator = 1, kAuthResponder = 2, kKeyI2R = 3, kKeyR2I = 4 };
static_assert(crypto_generichash_BYTES == 32 && crypto_kdf_KEYBYTES == 32);

std::vector<uint8_t> make_frame(MsgType type, uint64_t seq, std::span<const uint8_t> payload) {
  std::vector<uint8_t> f(kHeaderSize + payload.size());
  FrameHeader h;
  h.type = static_cast<uint16_t>(type);
  h.length = static_cast<uint32_t>(payload.size());
  h.sequence = seq;
  encode_header(h, std::span<uint8_t, kHeaderSize>(f.data(), kHeaderSize));
  std::copy(payload.begin(), payload.end(), f.begin() + kHeaderSize);
  return f;
}

void keyed_hash(uint8_t* out, const uint8_t* key, std::span<const uint8_t> msg) {
  crypto_generichash(out, 32, msg.data(), msg.size(), key, 32);
}

}  // namespace

uint64_t local_transport_features() {
  return aead_available(AeadAlgorithm::kAes256Gcm) ? kFeatureAes256Gcm : 0;
}

std::vector<uint8_t> encode_hello(const Hello& h) {
  Writer w(kHelloSize);
  w.u32(h.magic);
  w.u16(h.version);
  w.u64(h.features);
  w.u32(h.node);
  w.raw(h.nonce);
  return std::move(w).take();
}

Result<Hello> decode_hello(std::span<const uint8_t> payload) {
  Reader r(payload, "hello");
  Hello h;
  OMX_ASSIGN(h.magic, r.u32("magic"));
  OMX_ASSIGN(h.version, r.u16("version"));
  OMX_ASSIGN(h.features, r.u64("features"));
  OMX_ASSIGN(h.node, r.u32("node"));
  OMX_ASSIGN(auto nonce, r.raw("nonce", kNonceSize));
  std::copy(nonce.begin(), nonce.end(), h.nonce.begin());
  OMX_TRY(r.expect_end());
  return h;
}

Handshake::Handshake(const Key& key, Role role, uint32_t my_node, const SessionOptions& options)
    : role_(role), backend_(options.backend), key_(key) {
  OMX_CHECK((options.app_features & kTransportFeatureMask) == 0,
            "application features 0x%llx use the transport bits 0-15",
            static_cast<unsigned long long>(options.app_features));
  init_crypto();
  uint64_t transport = local_transport_features();
  if (!options.offer_aes256gcm) transport &= ~kFeatureAes256Gcm;
  mine_.features = options.app_features | transport;
  mine_.node = my_node;
  randombytes_buf(mine_.nonce.data(), mine_.nonce.size());
  my_hello_ = make_frame(MsgType::kHello, 0, encode_hello(mine_));
}

Handshake::~Handshake() {
  sodium_memzero(peer_auth_expected_, sizeof(peer_auth_expected_));
  sodium_memzero(tx_key_, sizeof(tx_key_));
  sodium_memzero(rx_key_, sizeof(rx_key_));
}

Error Handshake::fail(Error e) {
  state_ = State::kFailed;
  return e;
}

Result<uint32_t> Handshake::next_payload_size(std::span<const uint8_t, kHeaderSize> header) const {
  if (state_ != State::kWantHello && state_ != State::kWantAuth) {
    return make_error(ErrorCode::kProtocol, "handshake: no frame expected now");
  }
  uint16_t version = load_le16(header.data() + 4);
  if (load_le32(header.data()) == kMagic && version != kProtocolVersion) {
    return make_error(ErrorCode::kRefused,
                      fmt::format("handshake: peer speaks wire protocol version {}, this node "
                                  "speaks version {}; run the same omx release on every node",
                                  version, kProtocolVersion));
  }
  OMX_ASSIGN(FrameHeader h, decode_header(header));
  bool hello = state_ == State::kWantHello;
  MsgType want = hello ? MsgType::kHello : MsgType::kAuth;
  uint32_t want_len = hello ? kHelloSize : kAuthSize;
  uint64_t want_seq = hello ? 0 : 1;
  if (h.type != static_cast<uint16_t>(want) || h.length != want_len || h.sequence != want_seq) {
    return make_error(ErrorCode::kProtocol,
                      fmt::format("handshake: expected {} (sequence {}, {} bytes), got {} "
                                  "(sequence {}, {} bytes)",
                                  msg_type_name(want), want_seq, want_len, msg_type_name(h.type),
                                  h.sequence, h.length));
  }
  return want_len;
}

Status Handshake::on_peer_hello(std::span<const uint8_t> frame) {
  if (frame.size() < kHeaderSize) return fail(make_error(ErrorCode::kProtocol, "short hello"));
  auto len = next_payload_size(frame.first<kHeaderSize>());
  if (!len.ok()) return fail(len.error());
  if (frame.size() != kHeaderSize + *len) {
    return fail(make_error(ErrorCode::kProtocol, "handshake: hello frame has the wrong size"));
  }
  auto hello = decode_hello(frame.subspan(kHeaderSize));
  if (!hello.ok()) return fail(hello.error());
  if (hello->magic != kMagic || hello->version != kProtocolVersion) {
    return fail(make_error(ErrorCode::kRefused,
                           fmt::format("handshake: hello says magic 0x{:08x} version {}: not an omx node",
                                       hello->magic, hello->version)));
  }
  if (sodium_memcmp(hello->nonce.data(), mine_.nonce.data(), kNonceSize) == 0) {
    return fail(make_error(ErrorCode::kProtocol, "handshake: peer echoed our own hello"));
  }
  peer_ = *hello;
  derive(frame);
  state_ = State::kWantAuth;
  return ok_status();
}

// Transcript hash, session secret, then the MACs and the two direction keys (see handshake.h).
void Handshake::derive(std::span<const uint8_t> peer_hello_frame) {
  std::span<const uint8_t> first = my_hello_, second = peer_hello_frame;
  if (role_ == Role::kResponder) std::swap(first, second);
  uint8_t transcript[32];
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, sizeof(transcript));
  crypto_generichash_update(&st, first.data(), first.size());
  crypto_generichash_update(&st, second.data(), second.size());
  crypto_generichash_final(&st, transcript, sizeof(transcript));

  uint8_t secret[32], auth_mine[32], auth_peer[32], mac[kAuthSize];
  keyed_hash(secret, key_.bytes().data(), transcript);
  bool init = role_ == Role::kInitiator;
  crypto_kdf_derive_from_key(auth_mine, 32, init ? kAuthInitiator : kAuthResponder, kKdfContext,
                             secret);
  crypto_kdf_derive_from_key(auth_peer, 32, init ? kAuthResponder : kAuthInitiator, kKdfContext,
                             secret);
  crypto_kdf_derive_from_key(tx_key_, 32, init ? kKeyI2R : kKeyR2I, kKdfContext, secret);
  crypto_kdf_derive_from_key(rx_key_, 32, init ? kKeyR2I : kKeyI2R, kKdfContext, secret);
  keyed_hash(mac, auth_mine, transcript);
  keyed_hash(peer_auth_expected_, auth_peer, transcript);
  my_auth_ = make_frame(MsgType::kAuth, 1, mac);
  sodium_memzero(secret, sizeof(secret));
  sodium_memzero(auth_mine, sizeof(auth_mine));
  sodium_memzero(auth_peer, sizeof(auth_peer));
}

Result<Session> Handshake::on_peer_auth(std::span<const uint8_t> frame) {
  if (frame.size() != kHeaderSize + kAuthSize) {
    return fail(make_error(ErrorCode::kProtocol, "handshake: auth frame has the wrong size"));
  }
  auto len = next_payload_size(frame.first<kHeaderSize>());
  if (!len.ok()) return fail(len.error());
  if (sodium_memcmp(frame.data() + kHeaderSize, peer_auth_expected_, kAuthSize) != 0) {
    return fail(make_error(ErrorCode::kRefused,
                           fmt::format("handshake: peer (claims node {}) did not prove it holds "
                                       "the cluster key (different key file?)",
                                       peer_.node)));
  }
  state_ = State::kDone;
  uint64_t features = mine_.features & peer_.features;
  AeadAlgorithm algo = (features & kFeatureAes256Gcm) ? AeadAlgorithm::kAes256Gcm
                                                      : AeadAlgorithm::kChaCha20Poly1305;
  Session s{SessionCrypto(algo, std::span<const uint8_t, kAeadKeySize>(tx_key_),
                          std::span<const uint8_t, kAeadKeySize>(rx_key_), backend_),
            peer_.node, features};
  sodium_memzero(tx_key_, sizeof(tx_key_));
  sodium_memzero(rx_key_, sizeof(rx_key_));
  return s;
}

}  // namespace omx::wire
