// Sealed datagrams and the replay window.
#include <gtest/gtest.h>

#include "wire/codec.h"
#include "wire/datagram.h"
#include "wire_test_util.h"

namespace omx::wire {
namespace {

using testing::as_bytes;
using testing::pattern;

constexpr uint64_t kNow = 1'700'000'000'000;  // a fixed wall clock, ms

TEST(WireDatagram, SealOpenRoundTrip) {
  DatagramKey key(generate_key());
  auto p = pattern(300, 1);
  auto d = seal_datagram(key, MsgType::kGossipLoad, 7, kNow, 42, p);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->size(), p.size() + kDatagramOverhead);
  EXPECT_EQ(load_le32(d->data()), kDatagramMagic);
  EXPECT_EQ(std::string(d->begin(), d->begin() + 4), "OMXD");
  auto o = open_datagram(key, *d);
  ASSERT_TRUE(o.ok()) << o.error().message();
  EXPECT_EQ(o->type, MsgType::kGossipLoad);
  EXPECT_EQ(o->sender, 7u);
  EXPECT_EQ(o->timestamp_ms, kNow);
  EXPECT_EQ(o->counter, 42u);
  EXPECT_EQ(o->payload, p);
  // The payload is encrypted, not just signed.
  EXPECT_EQ(std::search(d->begin(), d->end(), p.begin(), p.begin() + 16), d->end());
}

TEST(WireDatagram, WrongKeyModifiedAndMalformedAreRejected) {
  Key cluster = generate_key();
  DatagramKey key(cluster), other(generate_key());
  auto d = *seal_datagram(key, MsgType::kDiscoverAnnounce, 3, kNow, 1, as_bytes("hi"));
  auto e = open_datagram(other, d);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code, ErrorCode::kProtocol);
  EXPECT_NE(e.error().what.find("failed authentication"), std::string::npos);
  for (size_t i = 0; i < d.size(); ++i) {  // every byte, header included, is authenticated
    auto m = d;
    m[i] ^= 0x80;
    EXPECT_FALSE(open_datagram(key, m).ok()) << "byte " << i;
  }
  EXPECT_FALSE(open_datagram(key, std::span(d).first(kDatagramOverhead - 1)).ok());
  std::vector<uint8_t> huge(kMaxDatagramSize + 1);
  EXPECT_FALSE(open_datagram(key, huge).ok());
  std::vector<uint8_t> big(kMaxDatagramPayload + 1);
  EXPECT_FALSE(seal_datagram(key, MsgType::kGossipLoad, 1, kNow, 1, big).ok());
  // Stream frames and datagrams use different keys derived from the same cluster key.
  DatagramKey again(cluster);
  EXPECT_TRUE(open_datagram(again, d).ok());
}

TEST(WireDatagram, ReplayWindowRejectsReplaysAndStaleOrFutureDatagrams) {
  DatagramKey key(generate_key());
  ReplayWindow w(std::chrono::seconds(10));
  auto mk = [&](uint32_t sender, uint64_t ts, uint64_t counter) {
    return *open_datagram(key, *seal_datagram(key, MsgType::kGossipLoad, sender, ts, counter, {}));
  };
  auto d1 = mk(1, kNow, 1);
  EXPECT_TRUE(w.check(d1, kNow).ok());
  auto replay = w.check(d1, kNow + 500);
  ASSERT_FALSE(replay.ok());
  EXPECT_NE(replay.error().what.find("replay"), std::string::npos);
  // A re-sealed copy (new random nonce) of the same message is still a replay.
  EXPECT_FALSE(w.check(mk(1, kNow, 1), kNow + 600).ok());
  EXPECT_TRUE(w.check(mk(1, kNow, 2), kNow).ok());      // next counter
  EXPECT_TRUE(w.check(mk(2, kNow, 1), kNow).ok());      // other sender, same counter
  EXPECT_TRUE(w.check(mk(1, kNow - 50, 0), kNow).ok());  // reordered but inside the window
  auto stale = w.check(mk(1, kNow - 10'001, 9), kNow);
  ASSERT_FALSE(stale.ok());
  EXPECT_NE(stale.error().what.find("stale"), std::string::npos);
  auto future = w.check(mk(1, kNow + 10'001, 9), kNow);
  ASSERT_FALSE(future.ok());
  EXPECT_NE(future.error().what.find("future"), std::string::npos);
  // A restarted sender (counter back to 1, later timestamp) is accepted.
  EXPECT_TRUE(w.check(mk(1, kNow + 2000, 1), kNow + 2000).ok());
  // The original is refused later on as stale, after it has been forgotten.
  EXPECT_FALSE(w.check(d1, kNow + 10'001).ok());
  EXPECT_TRUE(w.check(mk(3, kNow + 40'000, 1), kNow + 40'000).ok());
  EXPECT_EQ(w.remembered(), 1u);  // everything older expired
}

TEST(WireDatagram, ReplayWindowMemoryIsBounded) {
  ReplayWindow w(std::chrono::seconds(10));
  Datagram d;
  d.sender = 9;
  d.timestamp_ms = kNow;
  size_t accepted = 0;
  for (uint64_t c = 0; c < ReplayWindow::kMaxPerSender + 100; ++c) {
    d.counter = c;
    accepted += w.check(d, kNow).ok();
  }
  EXPECT_EQ(accepted, ReplayWindow::kMaxPerSender);
  EXPECT_EQ(w.remembered(), ReplayWindow::kMaxPerSender);
}

}  // namespace
}  // namespace omx::wire
