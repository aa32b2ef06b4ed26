// MFS protocol codec: round trips of every op's request and reply, and every malformed-payload
// class rejected (truncation, trailing bytes, unknown op, bad paths, sizes over the limits).
#include <random>

#include <gtest/gtest.h>

#include "mfs/protocol.h"
#include "wire/codec.h"

namespace omx::mfs {
namespace {

Request full_request(Op op) {
  Request r;
  r.id = 0x1122334455667788ull;
  r.op = op;
  r.path = "/tmp/a b/c";
  r.to = "/tmp/d";
  r.target = "../x/y";
  r.fh = 42;
  r.cookie = 7;
  r.max_bytes = kMaxReaddir;
  r.flags = 0x8241;
  r.mode = 0644;
  r.umask = 022;
  r.off = 1ull << 40;
  r.size = op == Op::kRead ? kMaxRead : (1ull << 35);
  r.data = {1, 2, 3, 0, 255};
  r.datasync = 1;
  r.uid = 1000;
  r.gid = kUnchanged;
  r.times[0] = {-5, kUtimeNow};
  r.times[1] = {1700000000, 999999999};
  r.mask = 6;
  return r;
}

// What survives a round trip: only the op's fields.
Request expected_after_trip(const Request& full) {
  auto back = decode_request(encode_request(full));
  EXPECT_TRUE(back.ok()) << back.error().message();
  return back.ok() ? *back : Request{};
}

TEST(MfsProtocol, EveryOpRequestRoundTrips) {
  for (uint16_t o = kMinOp; o <= kMaxOp; ++o) {
    Request full = full_request(static_cast<Op>(o));
    Request back = expected_after_trip(full);
    EXPECT_EQ(back.id, full.id) << op_name(o);
    EXPECT_EQ(back.op, full.op) << op_name(o);
    // Re-encoding the decoded request gives the same bytes: nothing of the op was lost.
    EXPECT_EQ(encode_request(back), encode_request(full)) << op_name(o);
  }
  Request w = expected_after_trip(full_request(Op::kWrite));
  EXPECT_EQ(w.data, full_request(Op::kWrite).data);
  EXPECT_EQ(w.off, 1ull << 40);
  Request u = expected_after_trip(full_request(Op::kUtimens));
  EXPECT_EQ(u.times[0], (Timespec{-5, kUtimeNow}));
  EXPECT_EQ(u.times[1], (Timespec{1700000000, 999999999}));
  Request s = expected_after_trip(full_request(Op::kSymlink));
  EXPECT_EQ(s.target, "../x/y");
  EXPECT_EQ(s.path, "/tmp/a b/c");
  Request c = expected_after_trip(full_request(Op::kChown));
  EXPECT_EQ(c.uid, 1000u);
  EXPECT_EQ(c.gid, kUnchanged);
  Request t = expected_after_trip(full_request(Op::kTruncate));
  EXPECT_EQ(t.size, 1ull << 35);
}

Attr some_attr(uint64_t ino) {
  return Attr{ino, 0100644, 1, 1000, 100, 0, 12345, 24, 4096, -1, 1700000000123456789, 5};
}

Reply full_reply(Op op) {
  Reply r;
  r.id = 99;
  r.fh = 5;
  r.attr = some_attr(77);
  r.entries = {{"a", 1, 8, 2, some_attr(1)}, {"bb", 2, 4, 3, some_attr(2)}};
  r.eof = true;
  r.data = {9, 8, 7};
  r.written = 3;
  r.target = "/somewhere";
  r.statfs = {4096, 4096, 1000, 500, 400, 100, 50, 255};
  (void)op;
  return r;
}

TEST(MfsProtocol, EveryOpReplyRoundTrips) {
  for (uint16_t o = kMinOp; o <= kMaxOp; ++o) {
    Op op = static_cast<Op>(o);
    Reply full = full_reply(op);
    auto back = decode_reply(op, encode_reply(op, full));
    ASSERT_TRUE(back.ok()) << op_name(o) << ": " << back.error().message();
    EXPECT_EQ(encode_reply(op, *back), encode_reply(op, full)) << op_name(o);
  }
  auto rd = decode_reply(Op::kReaddir, encode_reply(Op::kReaddir, full_reply(Op::kReaddir)));
  ASSERT_TRUE(rd.ok());
  EXPECT_EQ(rd->entries, full_reply(Op::kReaddir).entries);
  EXPECT_TRUE(rd->eof);
  auto sf = decode_reply(Op::kStatfs, encode_reply(Op::kStatfs, full_reply(Op::kStatfs)));
  ASSERT_TRUE(sf.ok());
  EXPECT_EQ(sf->statfs, full_reply(Op::kStatfs).statfs);
  auto ga = decode_reply(Op::kGetattr, encode_reply(Op::kGetattr, full_reply(Op::kGetattr)));
  ASSERT_TRUE(ga.ok());
  EXPECT_EQ(ga->attr, some_attr(77));
}

// The client's zero-copy paths give the same bytes as the general codec.
TEST(MfsProtocol, WriteEncodedInPlaceAndReadDataViewedMatchTheCodec) {
  for (size_t n : {size_t{0}, size_t{5}, size_t{kMaxWrite}}) {
    Request r = full_request(Op::kWrite);
    r.data.assign(n, 0xab);
    if (n) r.data[n - 1] = 7;
    std::vector<uint8_t> out(encoded_write_size(n));
    encode_write_into(r, r.data, out);
    EXPECT_EQ(out, encode_request(r)) << n;
    auto back = decode_request(out);
    ASSERT_TRUE(back.ok()) << back.error().message();
    EXPECT_EQ(back->data, r.data);
    EXPECT_EQ(back->fh, r.fh);
    EXPECT_EQ(back->off, r.off);
  }
  Reply full = full_reply(Op::kRead);
  auto bytes = encode_reply(Op::kRead, full);
  std::span<const uint8_t> view;
  auto back = decode_reply(Op::kRead, bytes, &view);
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_TRUE(back->data.empty());
  EXPECT_EQ(std::vector<uint8_t>(view.begin(), view.end()), full.data);
  EXPECT_GE(view.data(), bytes.data());
  EXPECT_LE(view.data() + view.size(), bytes.data() + bytes.size());
  bytes.push_back(0);
  EXPECT_FALSE(decode_reply(Op::kRead, bytes, &view).ok());
}

TEST(MfsProtocol, ErrorReplyCarriesNoFields) {
  auto bytes = encode_reply(Op::kGetattr, error_reply(3, 13));
  EXPECT_EQ(bytes.size(), 12u);
  auto back = decode_reply(Op::kGetattr, bytes);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->id, 3u);
  EXPECT_EQ(back->err, 13);
  bytes.push_back(0);
  EXPECT_FALSE(decode_reply(Op::kGetattr, bytes).ok());
  EXPECT_FALSE(decode_reply(Op::kGetattr, encode_reply(Op::kGetattr, error_reply(3, -1))).ok());
}

TEST(MfsProtocol, EveryTruncationIsRejected) {
  for (uint16_t o = kMinOp; o <= kMaxOp; ++o) {
    Op op = static_cast<Op>(o);
    auto req = encode_request(full_request(op));
    for (size_t n = 0; n < req.size(); ++n)
      EXPECT_FALSE(decode_request(std::span(req).first(n)).ok()) << op_name(o) << " at " << n;
    auto rep = encode_reply(op, full_reply(op));
    for (size_t n = 0; n < rep.size(); ++n)
      EXPECT_FALSE(decode_reply(op, std::span(rep).first(n)).ok()) << op_name(o) << " at " << n;
  }
}

TEST(MfsProtocol, TrailingBytesAreRejected) {
  for (uint16_t o = kMinOp; o <= kMaxOp; ++o) {
    Op op = static_cast<Op>(o);
    auto req = encode_request(full_request(op));
    req.push_back(0);
    auto r = decode_request(req);
    ASSERT_FALSE(r.ok()) << op_name(o);
    EXPECT_EQ(r.error().code, ErrorCode::kProtocol);
    auto rep = encode_reply(op, full_reply(op));
    rep.push_back(0);
    EXPECT_FALSE(decode_reply(op, rep).ok()) << op_name(o);
  }
}

TEST(MfsProtocol, UnknownOpIsInvalidButItsIdIsReadable) {
  for (uint16_t op : {0, 25, 0xffff}) {
    wire::Writer w;
    w.u64(1234);
    w.u16(op);
    auto r = decode_request(w.data());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kInvalid);
    auto h = peek_request(w.data());
    ASSERT_TRUE(h.ok());
    EXPECT_EQ(h->id, 1234u);
    EXPECT_EQ(h->op, op);
  }
  EXPECT_FALSE(peek_request(std::vector<uint8_t>(9)).ok());
  EXPECT_EQ(op_name(25), "op(25)");
  EXPECT_EQ(op_name(Op::kUtimens), "utimens");
}

TEST(MfsProtocol, BadPathsAreRejected) {
  EXPECT_TRUE(check_path("/").ok());
  EXPECT_TRUE(check_path("/a/..b/c..").ok());
  EXPECT_TRUE(check_path("/a/./b").ok());
  for (std::string bad : {std::string(""), std::string("a/b"), std::string("/a/../b"),
                          std::string("/.."), std::string("/a/.."), std::string("/a/../"),
                          std::string("/a\0b", 4), "/" + std::string(kMaxPath, 'x')}) {
    EXPECT_FALSE(check_path(bad).ok()) << bad;
    for (Op op : {Op::kGetattr, Op::kOpen, Op::kRename, Op::kSymlink}) {
      Request r = full_request(op);
      r.path = bad;
      EXPECT_FALSE(decode_request(encode_request(r)).ok()) << op_name(op) << " " << bad;
    }
    Request r = full_request(Op::kRename);
    r.to = bad;
    EXPECT_FALSE(decode_request(encode_request(r)).ok()) << "rename to " << bad;
  }
  EXPECT_TRUE(check_path("/" + std::string(kMaxPath - 1, 'x')).ok());
}

TEST(MfsProtocol, BadSymlinkTargetsAreRejected) {
  for (std::string bad : {std::string(""), std::string("a\0b", 3), std::string(kMaxPath + 1, 'y')}) {
    Request r = full_request(Op::kSymlink);
    r.target = bad;
    EXPECT_FALSE(decode_request(encode_request(r)).ok());
    Reply rep = full_reply(Op::kReadlink);
    rep.target = bad;
    EXPECT_FALSE(decode_reply(Op::kReadlink, encode_reply(Op::kReadlink, rep)).ok());
  }
}

TEST(MfsProtocol, SizesOverTheLimitsAreRejected) {
  Request rd = full_request(Op::kRead);
  rd.size = kMaxRead + 1;
  EXPECT_FALSE(decode_request(encode_request(rd)).ok());
  Request dir = full_request(Op::kReaddir);
  dir.max_bytes = kMaxReaddir + 1;
  EXPECT_FALSE(decode_request(encode_request(dir)).ok());
  Request wr = full_request(Op::kWrite);
  wr.data.assign(kMaxWrite + 1, 'x');
  EXPECT_FALSE(decode_request(encode_request(wr)).ok());
  wr.data.assign(kMaxWrite, 'x');
  EXPECT_TRUE(decode_request(encode_request(wr)).ok());
  Request fs = full_request(Op::kFsync);
  fs.datasync = 2;
  EXPECT_FALSE(decode_request(encode_request(fs)).ok());
  Request ut = full_request(Op::kUtimens);
  ut.times[1].nsec = 1000000000;
  EXPECT_FALSE(decode_request(encode_request(ut)).ok());
  Reply big = full_reply(Op::kRead);
  big.data.assign(kMaxRead + 1, 'z');
  EXPECT_FALSE(decode_reply(Op::kRead, encode_reply(Op::kRead, big)).ok());
}

TEST(MfsProtocol, BadReaddirRepliesAreRejected) {
  for (std::string bad : {std::string(""), std::string("a/b"), std::string("a\0", 2),
                          std::string(kMaxName + 1, 'n')}) {
    Reply r = full_reply(Op::kReaddir);
    r.entries[1].name = bad;
    EXPECT_FALSE(decode_reply(Op::kReaddir, encode_reply(Op::kReaddir, r)).ok());
  }
  // A count the payload cannot hold is refused before allocating.
  wire::Writer w;
  w.u64(1);
  w.u32(0);
  w.u32(0xffffffffu);
  w.u8(1);
  EXPECT_FALSE(decode_reply(Op::kReaddir, w.data()).ok());
  Reply r = full_reply(Op::kReaddir);
  auto bytes = encode_reply(Op::kReaddir, r);
  bytes.back() = 2;  // eof must be 0 or 1
  EXPECT_FALSE(decode_reply(Op::kReaddir, bytes).ok());
}

// Random corruptions of valid encodings: decoding never crashes, and whatever decodes re-encodes
// to the same bytes (nothing is silently dropped or invented).
TEST(MfsProtocol, MutatedPayloadsDecodeOrFailCleanly) {
  std::mt19937 rng(7);
  for (uint16_t o = kMinOp; o <= kMaxOp; ++o) {
    Op op = static_cast<Op>(o);
    auto req = encode_request(full_request(op));
    auto rep = encode_reply(op, full_reply(op));
    for (int i = 0; i < 300; ++i) {
      auto a = req;
      a[rng() % a.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
      if (auto r = decode_request(a); r.ok()) {
        EXPECT_EQ(encode_request(*r), a) << op_name(o);
      }
      auto b = rep;
      b[rng() % b.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
      if (auto r = decode_reply(op, b); r.ok()) {
        EXPECT_EQ(encode_reply(op, *r), b) << op_name(o);
      }
    }
  }
}

}  // namespace
}  // namespace omx::mfs
