// Gossip payload codec: exact layout, round trips, and rejection of every malformed message
// (truncation at every length, bad and huge counts, bad fields, random bytes).
#include <gtest/gtest.h>

#include <random>

#include "gossip/load_record.h"
#include "wire/codec.h"

namespace omx::gossip {
namespace {

LoadRecord sample(NodeId id) {
  LoadRecord r;
  r.node = id;
  r.generation = 1700000000123ull + id;
  r.seq = 42 + id;
  r.age_ms = 250;
  r.load = 137;
  r.speed = 9876;
  r.ncpus = 8;
  r.util = 97;
  r.status = bit(StatusBit::kStay) | bit(StatusBit::kBlock);
  r.free_mem_mib = 1000;
  r.total_mem_mib = 16000;
  r.local_procs = 3;
  r.guests = 2;
  r.migrations_1m = 7;
  return r;
}

std::vector<LoadRecord> three() { return {sample(1), sample(2), sample(300)}; }

TEST(GossipRecord, RoundTrip) {
  auto recs = three();
  auto bytes = encode_gossip(recs);
  EXPECT_EQ(bytes.size(), kGossipHeaderSize + 3 * kRecordWireSize);
  auto back = decode_gossip(bytes);
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(back->records, recs);
  EXPECT_EQ(back->flags, 0);
  auto pull = decode_gossip(encode_gossip(recs, kWantReply));
  ASSERT_TRUE(pull.ok());
  EXPECT_EQ(pull->flags, kWantReply);
}

TEST(GossipRecord, LayoutIsExplicitLittleEndian) {
  LoadRecord r = sample(0x0102);
  auto b = encode_gossip(std::span<const LoadRecord>(&r, 1));
  ASSERT_EQ(b.size(), 51u);
  EXPECT_EQ(b[0], kGossipFormat);
  EXPECT_EQ(b[1], 0);
  EXPECT_EQ(b[2], 1);  // count, LE
  EXPECT_EQ(b[3], 0);
  EXPECT_EQ(b[4], 0x02);  // node, LE
  EXPECT_EQ(b[5], 0x01);
  EXPECT_EQ(wire::load_le64(&b[8]), r.generation);
  EXPECT_EQ(wire::load_le32(&b[16]), r.seq);
  EXPECT_EQ(wire::load_le32(&b[20]), r.age_ms);
  EXPECT_EQ(wire::load_le32(&b[24]), r.load);
  EXPECT_EQ(wire::load_le32(&b[28]), r.speed);
  EXPECT_EQ(wire::load_le16(&b[32]), r.ncpus);
  EXPECT_EQ(b[34], r.util);
  EXPECT_EQ(wire::load_le16(&b[35]), r.status);
  EXPECT_EQ(wire::load_le32(&b[37]), r.free_mem_mib);
  EXPECT_EQ(wire::load_le32(&b[41]), r.total_mem_mib);
  EXPECT_EQ(wire::load_le16(&b[45]), r.local_procs);
  EXPECT_EQ(wire::load_le16(&b[47]), r.guests);
  EXPECT_EQ(wire::load_le16(&b[49]), r.migrations_1m);
}

TEST(GossipRecord, EveryTruncationIsRejected) {
  auto bytes = encode_gossip(three());
  for (size_t n = 0; n < bytes.size(); ++n) {
    auto r = decode_gossip(std::span<const uint8_t>(bytes.data(), n));
    ASSERT_FALSE(r.ok()) << "length " << n;
    EXPECT_EQ(r.error().code, ErrorCode::kProtocol);
  }
}

TEST(GossipRecord, TrailingBytesAreRejected) {
  auto bytes = encode_gossip(three());
  bytes.push_back(0);
  auto r = decode_gossip(bytes);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().what.find("follow"), std::string::npos) << r.error().what;
}

TEST(GossipRecord, BadCountsAreRejected) {
  auto bytes = encode_gossip(three());
  for (uint16_t count : {0, 1, 2, 4, 255, 256, 65535}) {
    auto b = bytes;
    wire::store_le16(&b[2], count);
    auto r = decode_gossip(b);
    EXPECT_FALSE(r.ok()) << "count " << count;
  }
  // A huge count on a tiny message is refused before any allocation.
  std::vector<uint8_t> tiny = {kGossipFormat, 0, 0xff, 0xff};
  auto r = decode_gossip(tiny);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().what.find("count"), std::string::npos) << r.error().what;
}

TEST(GossipRecord, BadHeaderIsRejected) {
  auto bytes = encode_gossip(three());
  auto b = bytes;
  b[0] = 3;
  EXPECT_FALSE(decode_gossip(b).ok());
  b[0] = 1;  // format 1 (45-byte records, before migrations_1m): refused, not misread
  auto old = decode_gossip(b);
  ASSERT_FALSE(old.ok());
  EXPECT_NE(old.error().what.find("unknown format 1"), std::string::npos) << old.error().what;
  b = bytes;
  b[1] = 2;  // a reserved flag
  EXPECT_FALSE(decode_gossip(b).ok());
  b[1] = 0x80;
  EXPECT_FALSE(decode_gossip(b).ok());
}

TEST(GossipRecord, BadFieldsAreRejectedWithReason) {
  struct Case {
    const char* name;
    void (*mutate)(LoadRecord&);
    const char* reason;
  };
  const Case cases[] = {
      {"node 0", [](LoadRecord& r) { r.node = 0; }, "node id"},
      {"node 65536", [](LoadRecord& r) { r.node = 65536; }, "node id"},
      {"util", [](LoadRecord& r) { r.util = 101; }, "util"},
      {"speed", [](LoadRecord& r) { r.speed = 0; }, "speed"},
      {"ncpus", [](LoadRecord& r) { r.ncpus = 0; }, "ncpus"},
      {"memory", [](LoadRecord& r) { r.free_mem_mib = r.total_mem_mib + 1; }, "free memory"},
      {"status", [](LoadRecord& r) { r.status |= 1; }, "status"},
      {"status2", [](LoadRecord& r) { r.status |= 0x8000; }, "status"},
      {"age", [](LoadRecord& r) { r.age_ms = 0x80000000u; }, "age"},
  };
  for (const Case& c : cases) {
    auto recs = three();
    c.mutate(recs[1]);
    auto r = decode_gossip(encode_gossip(recs));
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_NE(r.error().what.find(c.reason), std::string::npos) << c.name << ": " << r.error().what;
    EXPECT_NE(r.error().what.find("record 1"), std::string::npos) << r.error().what;
  }
}

TEST(GossipRecord, DuplicateNodeIsRejected) {
  auto recs = three();
  recs[2].node = recs[0].node;
  auto r = decode_gossip(encode_gossip(recs));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().what.find("twice"), std::string::npos);
}

TEST(GossipRecord, RandomBytesNeverCrashAndMutationsAreCaught) {
  std::mt19937_64 rng(7);
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    std::vector<uint8_t> b(rng() % 200);
    for (auto& x : b) x = static_cast<uint8_t>(rng());
    if (b.size() >= 4 && (i & 1)) {  // half with a plausible header
      b[0] = kGossipFormat;
      b[1] = 0;
      wire::store_le16(&b[2], static_cast<uint16_t>((b.size() - 4) / kRecordWireSize));
    }
    if (decode_gossip(b).ok()) ++accepted;
  }
  // Random records fail validation (node ids, util, status bits, memory) almost always.
  EXPECT_LT(accepted, 5);
  // Single-byte mutations of a valid message: decode either rejects it or yields valid records.
  auto good = encode_gossip(three());
  for (size_t pos = 0; pos < good.size(); ++pos) {
    for (int v : {0x00, 0xff, 0x80}) {
      auto b = good;
      b[pos] = static_cast<uint8_t>(v);
      auto r = decode_gossip(b);
      if (r.ok()) {
        for (const auto& rec : r->records) EXPECT_TRUE(validate_record(rec).ok());
      }
    }
  }
}

TEST(GossipRecord, FitCountMatchesBudget) {
  EXPECT_EQ(records_that_fit(kDefaultMaxPayload), (kDefaultMaxPayload - 4) / kRecordWireSize);
  EXPECT_GE(records_that_fit(kDefaultMaxPayload), 17u);  // own + window 16
  EXPECT_EQ(records_that_fit(50), 0u);
  EXPECT_EQ(records_that_fit(51), 1u);
  EXPECT_EQ(records_that_fit(1 << 20), kMaxRecordsPerMessage);
}

TEST(GossipRecord, NewerThanComparesGenerationThenSeq) {
  LoadRecord a = sample(5), b = sample(5);
  b.seq = a.seq + 1;
  EXPECT_TRUE(b.newer_than(a));
  EXPECT_FALSE(a.newer_than(b));
  EXPECT_FALSE(a.newer_than(a));
  LoadRecord restarted = a;
  restarted.generation = a.generation + 1;
  restarted.seq = 1;  // a restarted daemon counts from the start again
  EXPECT_TRUE(restarted.newer_than(b));
}

}  // namespace
}  // namespace omx::gossip
