// Bounded fuzzing of every decoder: random bytes and random mutations of valid frames, hellos
// and datagrams. Nothing may crash, nothing malformed may be accepted, and no single allocation
// may exceed the maximum frame size (this binary's operator new records the largest request).
#include <atomic>
#include <cstdlib>
#include <new>
#include <optional>
#include <random>

#include <gtest/gtest.h>

#include "base/log.h"
#include "wire/codec.h"
#include "wire/datagram.h"
#include "wire/handshake.h"
#include "wire_test_util.h"

namespace {
std::atomic<size_t> g_largest_alloc{0};
std::atomic<bool> g_track{false};
}  // namespace

// Replaces the global allocation functions of this test binary to record the largest request.
// (GCC's -Wmismatched-new-delete does not know that new and delete here are a malloc/free pair.)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(size_t n) {
  if (g_track.load(std::memory_order_relaxed)) {
    size_t cur = g_largest_alloc.load(std::memory_order_relaxed);
    while (n > cur && !g_largest_alloc.compare_exchange_weak(cur, n)) {
    }
  }
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace omx::wire {
namespace {

using testing::as_bytes;
using testing::pattern;
using testing::RawPeerFixture;

class WireFuzz : public ::testing::Test {
 protected:
  void SetUp() override {
    log::get("wire")->set_level(spdlog::level::off);  // 100k rejections need no log lines
    g_largest_alloc = 0;
    g_track = true;
  }
  void TearDown() override {
    g_track = false;
    log::get("wire")->set_level(spdlog::level::warn);
    EXPECT_LE(g_largest_alloc.load(), kMaxFrameSize);
  }
  std::mt19937_64 rng{12345};
  uint64_t rnd(uint64_t n) { return rng() % n; }

  std::vector<uint8_t> random_bytes(size_t n) {
    std::vector<uint8_t> v(n);
    for (auto& b : v) b = static_cast<uint8_t>(rng());
    return v;
  }

  // Changes `v` in at least one position: bit flips, byte sets, insertions, truncation, ...
  void mutate(std::vector<uint8_t>& v) {
    auto orig = v;
    int rounds = 1 + static_cast<int>(rnd(4));
    for (int i = 0; i < rounds; ++i) {
      switch (rnd(6)) {
        case 0: if (!v.empty()) v[rnd(v.size())] ^= static_cast<uint8_t>(1u << rnd(8)); break;
        case 1: if (!v.empty()) v[rnd(v.size())] = static_cast<uint8_t>(rng()); break;
        case 2: if (!v.empty()) v.resize(rnd(v.size())); break;
        case 3: v.insert(v.begin() + static_cast<long>(rnd(v.size() + 1)), static_cast<uint8_t>(rng())); break;
        case 4: if (v.size() >= kHeaderSize) store_le32(v.data() + 12, static_cast<uint32_t>(rng())); break;
        case 5: if (v.size() >= kHeaderSize) store_le64(v.data() + 16, rnd(8)); break;
      }
    }
    if (v == orig) v.push_back(0);
  }
};

// Decoding of headers and opening of sealed frames, pure: 100k random inputs, 100k mutations.
TEST_F(WireFuzz, FrameDecoderAndSessionOpen) {
  auto k1 = pattern(32, 1), k2 = pattern(32, 2);
  std::span<const uint8_t, 32> s1(k1.data(), 32), s2(k2.data(), 32);
  AeadAlgorithm algo = aead_available(AeadAlgorithm::kAes256Gcm) ? AeadAlgorithm::kAes256Gcm
                                                                  : AeadAlgorithm::kChaCha20Poly1305;
  // Each valid frame is the first of its own session (sequence 2), so a fresh receiver expects
  // it. (Sealing several with the same key and sequence reuses a nonce: fine for a test only.)
  std::vector<std::vector<uint8_t>> valid;
  for (int i = 0; i < 64; ++i) {
    SessionCrypto tx(algo, s1, s2);
    auto p = pattern(rnd(300), i);
    std::vector<uint8_t> f(SessionCrypto::sealed_size(p.size()));
    ASSERT_TRUE(tx.seal(MsgType::kSyscallRequest, p, f).ok());
    valid.push_back(std::move(f));
  }
  size_t header_ok = 0;
  std::vector<uint8_t> out;
  for (int it = 0; it < 200000; ++it) {
    std::vector<uint8_t> in;
    if (it % 2 == 0) {
      in = random_bytes(rnd(200));
      if (rnd(2) == 0 && in.size() >= kHeaderSize) {  // a plausible header, random rest
        FrameHeader h;
        h.type = static_cast<uint16_t>(MsgType::kSyscallRequest);
        h.length = static_cast<uint32_t>(in.size() - kHeaderSize);
        h.sequence = kFirstSealedSequence;
        encode_header(h, std::span<uint8_t, kHeaderSize>(in.data(), kHeaderSize));
      }
    } else {
      in = valid[rnd(valid.size())];
      mutate(in);
    }
    if (in.size() < kHeaderSize) continue;
    auto h = decode_header(std::span<const uint8_t, kHeaderSize>(in.data(), kHeaderSize));
    if (!h.ok()) continue;
    ++header_ok;
    SessionCrypto rx(algo, s2, s1);
    auto body = std::span<const uint8_t>(in).subspan(kHeaderSize);
    if (body.size() < kAeadTagSize) continue;
    out.resize(body.size() - kAeadTagSize);
    auto r = rx.open(std::span<const uint8_t, kHeaderSize>(in.data(), kHeaderSize), body, out);
    ASSERT_FALSE(r.ok()) << "iteration " << it << " accepted a corrupted frame";
  }
  EXPECT_GT(header_ok, 1000u);  // the fuzzer did reach the AEAD
}

TEST_F(WireFuzz, HandshakeDecoder) {
  Key k = generate_key();
  std::optional<Handshake> peer;
  peer.emplace(k, Role::kResponder, 2);
  std::vector<uint8_t> hello(peer->hello_frame().begin(), peer->hello_frame().end());
  for (int it = 0; it < 50000; ++it) {
    Handshake hs(k, Role::kInitiator, 1);
    std::vector<uint8_t> in;
    if (it % 2) {
      in = random_bytes(rnd(100));
    } else {
      in = hello;
      mutate(in);
    }
    if (in.size() >= kHeaderSize) {
      (void)hs.next_payload_size(std::span<const uint8_t, kHeaderSize>(in.data(), kHeaderSize));
    }
    auto st = hs.on_peer_hello(in);
    if (st.ok()) {
      // Only mutations the MAC covers anyway (e.g. nonce or features) pass the hello step;
      // the genuine peer's auth frame must then fail.
      auto auth_frame = hs.auth_frame();
      ASSERT_FALSE(peer->on_peer_hello(hs.hello_frame()).ok() &&
                   peer->on_peer_auth(auth_frame).ok() &&
                   hs.on_peer_auth(peer->auth_frame()).ok());
      peer.emplace(k, Role::kResponder, 2);
      hello.assign(peer->hello_frame().begin(), peer->hello_frame().end());
    }
    (void)hs.on_peer_auth(random_bytes(kHeaderSize + kAuthSize));
  }
}

TEST_F(WireFuzz, CodecReader) {
  for (int it = 0; it < 100000; ++it) {
    auto in = random_bytes(rnd(64));
    Reader r(in, "fuzz");
    for (int f = 0; f < 8 && r.ok(); ++f) {
      switch (rnd(7)) {
        case 0: (void)r.u8("a"); break;
        case 1: (void)r.u16("b"); break;
        case 2: (void)r.u32("c"); break;
        case 3: (void)r.u64("d"); break;
        case 4: (void)r.str("e"); break;
        case 5: (void)r.bytes("f", 16); break;
        case 6: (void)r.raw("g", rnd(70)); break;
      }
      ASSERT_LE(r.offset(), in.size());
    }
  }
}

TEST_F(WireFuzz, DatagramDecoder) {
  DatagramKey key(generate_key());
  auto valid = *seal_datagram(key, MsgType::kGossipLoad, 1, 1000, 1, pattern(100, 1));
  for (int it = 0; it < 100000; ++it) {
    std::vector<uint8_t> in;
    if (it % 2) {
      in = random_bytes(rnd(300));
      if (in.size() >= 8 && rnd(2)) {
        store_le32(in.data(), kDatagramMagic);
        store_le16(in.data() + 4, kProtocolVersion);
        store_le16(in.data() + 6, static_cast<uint16_t>(MsgType::kGossipLoad));
      }
    } else {
      in = valid;
      mutate(in);
    }
    ASSERT_FALSE(open_datagram(key, in).ok()) << "iteration " << it;
  }
}

// The real receive path: garbage and corrupted frames written into a live Channel's socket.
TEST_F(WireFuzz, ChannelReceivePath) {
  Key key = generate_key();
  for (int it = 0; it < 300; ++it) {
    auto fx = RawPeerFixture::make(key);
    std::vector<uint8_t> in, payload = pattern(rnd(100000), it);
    if (it % 3 == 0) {
      in = random_bytes(rnd(5000));
    } else {
      in = fx.seal(MsgType::kMigrateImageChunk, payload);
      mutate(in);
    }
    testing::write_raw(fx.raw.get(), in);
    ::shutdown(fx.raw.get(), SHUT_WR);
    Frame f;
    auto st = fx.channel->recv(f, std::chrono::seconds(5));
    if (st.ok()) {
      // Only possible when the mutation appended bytes after an intact frame: that frame is
      // genuine and must be exact; the appended garbage must then fail.
      ASSERT_EQ(f.payload, payload) << "iteration " << it;
      st = fx.channel->recv(f, std::chrono::seconds(5));
    }
    ASSERT_FALSE(st.ok()) << "iteration " << it;
    ASSERT_NE(st.error().code, ErrorCode::kTimeout) << "iteration " << it;
    ASSERT_FALSE(fx.channel->is_open());
  }
}

}  // namespace
}  // namespace omx::wire
