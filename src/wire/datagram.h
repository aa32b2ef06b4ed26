// Datagrams: single authenticated, encrypted UDP messages for gossip and discovery, sealed with a
// key derived from the cluster key. Pure functions plus a replay filter; no sockets here.
//
// Layout (all little-endian), 52-byte header in clear but authenticated, then the sealed payload:
//
//   offset size field
//        0    4 magic      kDatagramMagic ("OMXD" on the wire)
//        4    2 version    kProtocolVersion
//        6    2 type       MsgType (0x04xx: gossip, discovery)
//        8    4 sender     sender's node id
//       12    8 timestamp  sender's CLOCK_REALTIME in milliseconds since the epoch
//       20    8 counter    sender's message counter (any value; unique per sender and timestamp)
//       28   24 nonce      random (XChaCha20-Poly1305: random nonces are safe at this size)
//       52    n ciphertext
//     52+n   16 tag        over header (associated data) and payload
//
// Replay protection (ReplayWindow): a datagram is accepted only if its timestamp is within
// +-window of the receiver's clock (nodes' clocks must agree to well within the window; NTP) and
// the triple (sender, timestamp, counter) was not accepted before. Remembered triples are dropped
// once they fall out of the window, so memory is bounded by the message rate, and by hard caps.
// A restarted sender needs no state: its new timestamps differ from the old ones.
//
// Threading: pure functions are thread-safe; a ReplayWindow is used by one thread at a time.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <span>
#include <utility>
#include <vector>

#include "base/result.h"
#include "wire/frame.h"
#include "wire/key.h"

namespace omx::wire {

inline constexpr uint32_t kDatagramMagic = 0x44584D4F;  // the bytes "OMXD" on the wire
inline constexpr size_t kDatagramHeaderSize = 52;
inline constexpr size_t kDatagramTagSize = 16;
inline constexpr size_t kDatagramOverhead = kDatagramHeaderSize + kDatagramTagSize;
// The largest UDP payload over IPv4. Stay below the path MTU (~1472 bytes) to avoid fragments.
inline constexpr size_t kMaxDatagramSize = 65507;
inline constexpr size_t kMaxDatagramPayload = kMaxDatagramSize - kDatagramOverhead;

// The datagram key: derived from the cluster key (crypto_kdf, context "omx-dgrm"), so datagrams
// and stream sessions never use the same key.
class DatagramKey {
 public:
  explicit DatagramKey(const Key& cluster_key);
  ~DatagramKey();
  DatagramKey(const DatagramKey&) = default;
  DatagramKey& operator=(const DatagramKey&) = default;
  const uint8_t* data() const { return key_; }

 private:
  uint8_t key_[32];
};

struct Datagram {
  MsgType type = MsgType::kGossipLoad;
  uint32_t sender = 0;
  uint64_t timestamp_ms = 0;
  uint64_t counter = 0;
  std::vector<uint8_t> payload;
};

// Current CLOCK_REALTIME in milliseconds, for timestamps and ReplayWindow::check.
uint64_t wall_clock_ms();

// Seals one datagram. kInvalid if the payload exceeds kMaxDatagramPayload.
Result<std::vector<uint8_t>> seal_datagram(const DatagramKey& key, MsgType type, uint32_t sender,
                                           uint64_t timestamp_ms, uint64_t counter,
                                           std::span<const uint8_t> payload);

// Checks layout and authenticity (not freshness: see ReplayWindow). kProtocol, with the reason,
// for anything malformed or forged.
Result<Datagram> open_datagram(const DatagramKey& key, std::span<const uint8_t> bytes);

class ReplayWindow {
 public:
  static constexpr std::chrono::milliseconds kDefaultWindow = std::chrono::seconds(30);
  static constexpr size_t kMaxSenders = 65536;
  static constexpr size_t kMaxPerSender = 4096;

  explicit ReplayWindow(std::chrono::milliseconds window = kDefaultWindow)
      : window_ms_(static_cast<uint64_t>(window.count())) {}

  // Accepts (and remembers) a fresh datagram; kProtocol "replayed" / "stale" / "from the future"
  // otherwise. `now_ms` is the receiver's wall clock (wall_clock_ms()).
  Status check(const Datagram& d, uint64_t now_ms);

  size_t remembered() const;

 private:
  void expire(uint64_t now_ms);

  uint64_t window_ms_;
  // sender -> accepted (timestamp, counter) pairs still inside the window, oldest first
  std::map<uint32_t, std::set<std::pair<uint64_t, uint64_t>>> seen_;
  uint64_t last_expire_ms_ = 0;
};

}  // namespace omx::wire
