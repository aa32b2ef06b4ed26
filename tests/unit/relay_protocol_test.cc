// The relay frames (relay/protocol.h): round trips, and the decoders reject every malformed
// payload — each truncation, trailing bytes, oversized or out-of-range fields, unknown flags.
#include <gtest/gtest.h>

#include "relay/protocol.h"
#include "wire/codec.h"

namespace omx::relay {
namespace {

std::span<const uint8_t> prefix(const std::vector<uint8_t>& v, size_t n) { return {v.data(), n}; }

TEST(RelayProtocol, RequestRoundTrip) {
  RelayRequest q{2500, {"omx", "ps", "--json", ""}};
  auto d = decode_request(encode_request(q));
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(*d, q);
}

TEST(RelayProtocol, ReplyRoundTrip) {
  for (int code : {0, 1, 255, -9, -64}) {
    RunResult r{code, "out\n", std::string("e\0rr", 4), code == -9, true, false};
    auto d = decode_reply(encode_reply(r));
    ASSERT_TRUE(d.ok()) << d.error().message();
    EXPECT_EQ(d->exit_code, code);
    EXPECT_EQ(d->out, r.out);
    EXPECT_EQ(d->err, r.err);
    EXPECT_EQ(d->timed_out, r.timed_out);
    EXPECT_TRUE(d->out_truncated);
    EXPECT_FALSE(d->err_truncated);
  }
}

TEST(RelayProtocol, EveryTruncationAndTrailingByteIsRejected) {
  auto q = encode_request({1000, {"kill", "-STOP", "123"}});
  for (size_t n = 0; n < q.size(); ++n) {
    auto d = decode_request(prefix(q, n));
    ASSERT_FALSE(d.ok()) << "request cut at " << n;
    EXPECT_EQ(d.error().code, ErrorCode::kProtocol);
  }
  q.push_back(0);
  EXPECT_FALSE(decode_request(q).ok());

  auto r = encode_reply({3, "some output", "an error", false, false, false});
  for (size_t n = 0; n < r.size(); ++n) {
    auto d = decode_reply(prefix(r, n));
    ASSERT_FALSE(d.ok()) << "reply cut at " << n;
    EXPECT_EQ(d.error().code, ErrorCode::kProtocol);
  }
  r.push_back(0);
  EXPECT_FALSE(decode_reply(r).ok());

  auto e = encode_refusal("not allowed");
  for (size_t n = 0; n < e.size(); ++n) EXPECT_FALSE(decode_refusal(prefix(e, n)).ok()) << n;
  auto why = decode_refusal(e);
  ASSERT_TRUE(why.ok());
  EXPECT_EQ(*why, "not allowed");
}

// A request written field by field, so that each field can be made wrong.
std::vector<uint8_t> raw_request(uint32_t timeout, uint32_t argc, const std::vector<std::string>& args) {
  wire::Writer w;
  w.u32(timeout);
  w.u32(argc);
  for (const auto& a : args) w.str(a);
  return std::move(w).take();
}

TEST(RelayProtocol, RequestFieldsOutOfRangeAreRejected) {
  EXPECT_TRUE(decode_request(raw_request(1, 1, {"omx"})).ok());
  EXPECT_TRUE(decode_request(raw_request(kMaxTimeoutMs, 1, {"omx"})).ok());
  EXPECT_FALSE(decode_request(raw_request(0, 1, {"omx"})).ok());                  // no timeout
  EXPECT_FALSE(decode_request(raw_request(kMaxTimeoutMs + 1, 1, {"omx"})).ok());  // too long
  EXPECT_FALSE(decode_request(raw_request(1000, 0, {})).ok());                    // no command
  EXPECT_FALSE(decode_request(raw_request(1000, 2, {"omx"})).ok());               // argc > args
  EXPECT_FALSE(decode_request(raw_request(1000, 1, {"omx", "ps"})).ok());         // argc < args
  EXPECT_FALSE(decode_request(raw_request(1000, 0xFFFFFFFF, {"omx"})).ok());      // huge argc
  std::vector<std::string> many(kMaxArgs + 1, "x");
  EXPECT_FALSE(decode_request(raw_request(1000, kMaxArgs + 1, many)).ok());
  many.pop_back();
  EXPECT_TRUE(decode_request(raw_request(1000, kMaxArgs, many)).ok());
  EXPECT_FALSE(decode_request(raw_request(1000, 1, {std::string(kMaxArgLength + 1, 'a')})).ok());
  EXPECT_TRUE(decode_request(raw_request(1000, 1, {std::string(kMaxArgLength, 'a')})).ok());
  EXPECT_FALSE(decode_request(raw_request(1000, 2, {"kill", std::string("1\0 2", 4)})).ok());
  // A length prefix larger than what follows (the string's bytes are not there).
  auto q = raw_request(1000, 1, {"omx"});
  wire::store_le32(q.data() + 8, 0x7FFFFFFF);
  EXPECT_FALSE(decode_request(q).ok());
}

std::vector<uint8_t> raw_reply(uint8_t flags, uint32_t code, size_t out_len, size_t err_len) {
  wire::Writer w;
  w.u8(flags);
  w.u32(code);
  w.str(std::string(out_len, 'o'));
  w.str(std::string(err_len, 'e'));
  return std::move(w).take();
}

TEST(RelayProtocol, ReplyFieldsOutOfRangeAreRejected) {
  EXPECT_TRUE(decode_reply(raw_reply(7, 0, 0, 0)).ok());
  EXPECT_FALSE(decode_reply(raw_reply(8, 0, 0, 0)).ok());     // unknown flag
  EXPECT_FALSE(decode_reply(raw_reply(0x80, 0, 0, 0)).ok());
  EXPECT_FALSE(decode_reply(raw_reply(0, 256, 0, 0)).ok());   // not an exit status
  EXPECT_FALSE(decode_reply(raw_reply(0, static_cast<uint32_t>(-65), 0, 0)).ok());
  EXPECT_TRUE(decode_reply(raw_reply(0, static_cast<uint32_t>(-64), 0, 0)).ok());
  EXPECT_FALSE(decode_reply(raw_reply(0, 0, kMaxOutput + 1, 0)).ok());  // oversized output
  EXPECT_FALSE(decode_reply(raw_reply(0, 0, 0, kMaxOutput + 1)).ok());
  EXPECT_TRUE(decode_reply(raw_reply(0, 0, kMaxOutput, kMaxOutput)).ok());
  auto r = raw_reply(0, 0, 3, 0);
  wire::store_le32(r.data() + 5, 0xFFFFFFF0);  // out length beyond the payload
  EXPECT_FALSE(decode_reply(r).ok());
}

}  // namespace
}  // namespace omx::relay
