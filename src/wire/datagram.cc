#include "wire/datagram.h"

#include <time.h>

#include <fmt/format.h>
#include <sodium.h>

#include "wire/codec.h"

namespace omx::wire {
namespace {

constexpr char kDatagramContext[crypto_kdf_CONTEXTBYTES + 1] = "omx-dgrm";
constexpr size_t kXNonceSize = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
static_assert(kXNonceSize == 24 && kDatagramHeaderSize == 28 + kXNonceSize);
static_assert(crypto_aead_xchacha20poly1305_ietf_ABYTES == kDatagramTagSize);

Error reject(std::string why) {
  return make_error(ErrorCode::kProtocol, "datagram rejected: " + std::move(why));
}

}  // namespace

DatagramKey::DatagramKey(const Key& cluster_key) {
  init_crypto();
  crypto_kdf_derive_from_key(key_, sizeof(key_), 1, kDatagramContext, cluster_key.bytes().data());
}

DatagramKey::~DatagramKey() { sodium_memzero(key_, sizeof(key_)); }

uint64_t wall_clock_ms() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000 + static_cast<uint64_t>(ts.tv_nsec) / 1000000;
}

Result<std::vector<uint8_t>> seal_datagram(const DatagramKey& key, MsgType type, uint32_t sender,
                                           uint64_t timestamp_ms, uint64_t counter,
                                           std::span<const uint8_t> payload) {
  if (payload.size() > kMaxDatagramPayload) {
    return make_error(ErrorCode::kInvalid,
                      fmt::format("datagram payload of {} bytes exceeds the limit of {}",
                                  payload.size(), kMaxDatagramPayload));
  }
  std::vector<uint8_t> out(kDatagramOverhead + payload.size());
  uint8_t* p = out.data();
  store_le32(p + 0, kDatagramMagic);
  store_le16(p + 4, kProtocolVersion);
  store_le16(p + 6, static_cast<uint16_t>(type));
  store_le32(p + 8, sender);
  store_le64(p + 12, timestamp_ms);
  store_le64(p + 20, counter);
  randombytes_buf(p + 28, kXNonceSize);
  crypto_aead_xchacha20poly1305_ietf_encrypt_detached(
      p + kDatagramHeaderSize, p + kDatagramHeaderSize + payload.size(), nullptr, payload.data(),
      payload.size(), p, kDatagramHeaderSize, nullptr, p + 28, key.data());
  return out;
}

Result<Datagram> open_datagram(const DatagramKey& key, std::span<const uint8_t> bytes) {
  if (bytes.size() < kDatagramOverhead) {
    return reject(fmt::format("{} bytes is shorter than the {}-byte minimum", bytes.size(),
                              kDatagramOverhead));
  }
  if (bytes.size() > kMaxDatagramSize) {
    return reject(fmt::format("{} bytes exceeds the {}-byte maximum", bytes.size(),
                              kMaxDatagramSize));
  }
  const uint8_t* p = bytes.data();
  if (load_le32(p) != kDatagramMagic) return reject(fmt::format("bad magic 0x{:08x}", load_le32(p)));
  if (load_le16(p + 4) != kProtocolVersion) {
    return reject(fmt::format("protocol version {} (this build speaks {})", load_le16(p + 4),
                              kProtocolVersion));
  }
  uint16_t type = load_le16(p + 6);
  if (!is_known_type(type)) return reject(fmt::format("unknown type 0x{:04x}", type));
  Datagram d;
  d.type = static_cast<MsgType>(type);
  d.sender = load_le32(p + 8);
  d.timestamp_ms = load_le64(p + 12);
  d.counter = load_le64(p + 20);
  size_t n = bytes.size() - kDatagramOverhead;
  d.payload.resize(n);
  if (crypto_aead_xchacha20poly1305_ietf_decrypt_detached(
          d.payload.data(), nullptr, p + kDatagramHeaderSize, n, p + kDatagramHeaderSize + n, p,
          kDatagramHeaderSize, p + 28, key.data()) != 0) {
    return reject(fmt::format("{} from node {} failed authentication (forged, modified, or "
                              "sealed with another cluster key)",
                              msg_type_name(type), d.sender));
  }
  return d;
}

void ReplayWindow::expire(uint64_t now_ms) {
  uint64_t oldest = now_ms > window_ms_ ? now_ms - window_ms_ : 0;
  for (auto it = seen_.begin(); it != seen_.end();) {
    auto& s = it->second;
    while (!s.empty() && s.begin()->first < oldest) s.erase(s.begin());
    it = s.empty() ? seen_.erase(it) : std::next(it);
  }
  last_expire_ms_ = now_ms;
}

Status ReplayWindow::check(const Datagram& d, uint64_t now_ms) {
  if (d.timestamp_ms + window_ms_ < now_ms) {
    return reject(fmt::format("from node {} is {} ms old (window {} ms): stale or replayed",
                              d.sender, now_ms - d.timestamp_ms, window_ms_));
  }
  if (d.timestamp_ms > now_ms + window_ms_) {
    return reject(fmt::format("from node {} is {} ms in the future (window {} ms): clocks differ?",
                              d.sender, d.timestamp_ms - now_ms, window_ms_));
  }
  if (now_ms >= last_expire_ms_ + window_ms_ / 4 || seen_.size() >= kMaxSenders) expire(now_ms);
  auto it = seen_.find(d.sender);
  if (it == seen_.end()) {
    if (seen_.size() >= kMaxSenders) return reject("too many senders in the replay window");
    it = seen_.emplace(d.sender, std::set<std::pair<uint64_t, uint64_t>>{}).first;
  }
  auto& s = it->second;
  if (s.count({d.timestamp_ms, d.counter})) {
    return reject(fmt::format("from node {} (counter {}) is a replay", d.sender, d.counter));
  }
  if (s.size() >= kMaxPerSender) {
    return reject(fmt::format("node {} sent more than {} datagrams within the window", d.sender,
                              kMaxPerSender));
  }
  s.emplace(d.timestamp_ms, d.counter);
  return ok_status();
}

size_t ReplayWindow::remembered() const {
  size_t n = 0;
  for (const auto& [sender, s] : seen_) n += s.size();
  return n;
}

}  // namespace omx::wire
