// Codec and framing: explicit little-endian layout, round trips, and every rejection.
#include <gtest/gtest.h>

#include "wire/codec.h"
#include "wire/frame.h"

namespace omx::wire {
namespace {

std::vector<uint8_t> bytes_of(std::initializer_list<int> l) {
  std::vector<uint8_t> v;
  for (int x : l) v.push_back(static_cast<uint8_t>(x));
  return v;
}

TEST(WireCodec, WritesLittleEndianByteByByte) {
  Writer w;
  w.u8(0xAB);
  w.u16(0x0102);
  w.u32(0x01020304);
  w.u64(0x0102030405060708ull);
  w.i64(-2);
  auto d = std::move(w).take();
  EXPECT_EQ(d, bytes_of({0xAB, 0x02, 0x01, 0x04, 0x03, 0x02, 0x01, 0x08, 0x07, 0x06, 0x05, 0x04,
                         0x03, 0x02, 0x01, 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}));
}

TEST(WireCodec, RoundTripsEveryFieldKind) {
  Writer w;
  w.u8(7);
  w.u16(65535);
  w.u32(0xDEADBEEF);
  w.u64(UINT64_MAX - 1);
  w.i64(INT64_MIN);
  w.str("hello, wire");
  w.str("");
  std::vector<uint8_t> blob = {0, 1, 2, 255};
  w.bytes(blob);
  uint8_t nonce[3] = {9, 8, 7};
  w.raw(nonce);

  Reader r(w.data(), "test");
  EXPECT_EQ(*r.u8("a"), 7);
  EXPECT_EQ(*r.u16("b"), 65535);
  EXPECT_EQ(*r.u32("c"), 0xDEADBEEFu);
  EXPECT_EQ(*r.u64("d"), UINT64_MAX - 1);
  EXPECT_EQ(*r.i64("e"), INT64_MIN);
  EXPECT_EQ(*r.str("f"), "hello, wire");
  EXPECT_EQ(*r.str("g"), "");
  auto b = r.bytes("h");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(std::vector<uint8_t>(b->begin(), b->end()), blob);
  auto n = r.raw("i", 3);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ((*n)[2], 7);
  EXPECT_TRUE(r.expect_end().ok());
  EXPECT_EQ(r.remaining(), 0u);
}

TEST(WireCodec, ShortReadsAreRejectedNamingTheField) {
  auto d = bytes_of({1, 2, 3});
  {
    Reader r(d, "ping");
    auto v = r.u32("node");
    ASSERT_FALSE(v.ok());
    EXPECT_EQ(v.error().code, ErrorCode::kProtocol);
    EXPECT_NE(v.error().what.find("decode ping: field 'node' at offset 0: needs 4 bytes, 3 left"),
              std::string::npos)
        << v.error().what;
  }
  EXPECT_FALSE(Reader({}, "x").u8("f").ok());
  EXPECT_FALSE(Reader(d, "x").u64("f").ok());
  EXPECT_FALSE(Reader(std::span(d).first(1), "x").u16("f").ok());
  EXPECT_FALSE(Reader(d, "x").raw("f", 4).ok());
  EXPECT_FALSE(Reader(d, "x").i64("f").ok());
}

TEST(WireCodec, LengthPrefixBeyondTheInputIsRejectedBeforeAllocating) {
  Writer w;
  w.u32(0xFFFFFFF0);  // claims ~4 GiB
  w.u8(1);
  Reader r(w.data(), "msg");
  auto s = r.str("path");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().what.find("length 4294967280 but only 1 bytes follow"), std::string::npos)
      << s.error().what;
  EXPECT_NE(s.error().what.find("offset 0"), std::string::npos);
}

TEST(WireCodec, LengthAboveTheCallersLimitIsRejected) {
  Writer w;
  w.str("0123456789");
  Reader r(w.data(), "msg");
  auto s = r.str("name", 4);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().what.find("length 10 exceeds the limit of 4"), std::string::npos);
  Reader ok(w.data(), "msg");
  EXPECT_TRUE(ok.bytes("name", 10).ok());
}

TEST(WireCodec, ErrorsAreSticky) {
  auto d = bytes_of({1, 0, 2});
  Reader r(d, "m");
  EXPECT_TRUE(r.u16("first").ok());
  auto bad = r.u32("second");
  ASSERT_FALSE(bad.ok());
  // A later read that would fit still fails, with the first error.
  auto later = r.u8("third");
  ASSERT_FALSE(later.ok());
  EXPECT_NE(later.error().what.find("'second'"), std::string::npos);
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(r.status().ok());
  EXPECT_FALSE(r.expect_end().ok());
}

TEST(WireCodec, TrailingBytesAreRejected) {
  auto d = bytes_of({1, 2});
  Reader r(d, "m");
  EXPECT_TRUE(r.u8("a").ok());
  auto st = r.expect_end();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().what.find("1 unexpected trailing bytes"), std::string::npos);
}

// ---- frame header ----

std::array<uint8_t, kHeaderSize> encoded(const FrameHeader& h) {
  std::array<uint8_t, kHeaderSize> b;
  encode_header(h, b);
  return b;
}

TEST(WireFrame, HeaderLayoutIsDocumentedLittleEndian) {
  FrameHeader h;
  h.type = static_cast<uint16_t>(MsgType::kMigrateOffer);
  h.length = 0x00010203;
  h.sequence = 0x1122334455667788ull;
  auto b = encoded(h);
  EXPECT_EQ(std::string(b.begin(), b.begin() + 4), "OMX1");
  EXPECT_EQ(b[0], 0x4F);
  EXPECT_EQ(b[4], 1);
  EXPECT_EQ(b[5], 0);
  EXPECT_EQ(b[6], 0x01);  // 0x0201, little-endian
  EXPECT_EQ(b[7], 0x02);
  EXPECT_EQ(b[12], 0x03);
  EXPECT_EQ(b[15], 0x00);
  EXPECT_EQ(b[16], 0x88);
  EXPECT_EQ(b[23], 0x11);
  auto d = decode_header(b);
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(d->type, h.type);
  EXPECT_EQ(d->length, h.length);
  EXPECT_EQ(d->sequence, h.sequence);
}

void expect_rejected(const FrameHeader& h, const std::string& why) {
  auto d = decode_header(encoded(h));
  ASSERT_FALSE(d.ok()) << why;
  EXPECT_EQ(d.error().code, ErrorCode::kProtocol);
  EXPECT_NE(d.error().what.find(why), std::string::npos) << d.error().what;
}

TEST(WireFrame, RejectsEveryMalformedHeader) {
  FrameHeader good;
  good.type = static_cast<uint16_t>(MsgType::kPing);
  ASSERT_TRUE(decode_header(encoded(good)).ok());

  FrameHeader h = good;
  h.magic = 0x50545448;  // "HTTP"
  expect_rejected(h, "bad magic");
  h = good;
  h.version = 2;
  expect_rejected(h, "protocol version 2");
  h = good;
  h.version = 0;
  expect_rejected(h, "protocol version 0");
  h = good;
  h.type = 0x0199;
  expect_rejected(h, "unknown type 0x0199");
  h = good;
  h.type = 0;
  expect_rejected(h, "unknown type 0x0000");
  h = good;
  h.flags = 1;
  expect_rejected(h, "unknown flags");
  h = good;
  h.reserved = 0x8000;
  expect_rejected(h, "reserved");
  h = good;
  h.length = kMaxPayload + 1;
  expect_rejected(h, "exceeds the limit");
  h = good;
  h.length = UINT32_MAX;
  expect_rejected(h, "exceeds the limit");
  h = good;
  h.length = kMaxPayload;  // exactly the limit is fine
  EXPECT_TRUE(decode_header(encoded(h)).ok());
}

TEST(WireFrame, TypeFamiliesAndNames) {
  EXPECT_EQ(static_cast<uint16_t>(MsgType::kHello) >> 8, 0x01);
  EXPECT_EQ(static_cast<uint16_t>(MsgType::kMigrateAbort) >> 8, 0x02);
  EXPECT_EQ(static_cast<uint16_t>(MsgType::kSyscallReply) >> 8, 0x03);
  EXPECT_EQ(static_cast<uint16_t>(MsgType::kGossipLoad) >> 8, 0x04);
  EXPECT_EQ(static_cast<uint16_t>(MsgType::kMfsRequest) >> 8, 0x05);
  EXPECT_EQ(msg_type_name(MsgType::kMigrateImageChunk), "migrate-image-chunk");
  EXPECT_EQ(msg_type_name(0x7777), "unknown(0x7777)");
  int known = 0;
  for (uint32_t t = 0; t <= 0xFFFF; ++t) known += is_known_type(static_cast<uint16_t>(t));
  EXPECT_EQ(known, 37);  // 22 + session-owner + the migration engine's image, pages, pages-end, migrate-home,
                         // go-home, syscall-cancel, stopped, balance-policy, balance-move, body-stats,
                         // fd-query, fd-info (DFSA), relay-request, relay-reply
  EXPECT_EQ(msg_type_name(MsgType::kGoHome), "go-home");
}

}  // namespace
}  // namespace omx::wire
