// Keys, AEAD backends, the handshake state machine and SessionCrypto, without sockets.
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include <gtest/gtest.h>

#include "wire/aead.h"
#include "wire/codec.h"
#include "wire/handshake.h"
#include "wire/key.h"
#include "wire/session_crypto.h"
#include "wire_test_util.h"

namespace omx::wire {
namespace {

using testing::as_bytes;
using testing::pattern;
using testing::TempDir;

// ---- keys ----

TEST(WireKey, HexRoundTripAndValidation) {
  Key k = generate_key();
  EXPECT_EQ(k.to_hex().size(), 64u);
  auto back = Key::from_hex(k.to_hex());
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(*back == k);
  EXPECT_FALSE(generate_key() == k);
  EXPECT_FALSE(Key::from_hex("abcd").ok());
  std::string bad = k.to_hex();
  bad[10] = 'g';
  auto e = Key::from_hex(bad);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().what.find("position 10"), std::string::npos);
}

TEST(WireKey, SaveThenLoad) {
  TempDir dir;
  Key k = generate_key();
  ASSERT_TRUE(save_key(k, dir.file("cluster.key")).ok());
  struct stat st;
  ASSERT_EQ(::stat(dir.file("cluster.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_size, 65);
  auto loaded = load_key(dir.file("cluster.key"));
  ASSERT_TRUE(loaded.ok()) << loaded.error().message();
  EXPECT_TRUE(*loaded == k);
  // Never overwrites an existing key.
  EXPECT_FALSE(save_key(generate_key(), dir.file("cluster.key")).ok());
}

TEST(WireKey, RefusesKeyFilesOthersCanRead) {
  TempDir dir;
  std::string path = dir.file("k");
  ASSERT_TRUE(save_key(generate_key(), path).ok());
  for (mode_t mode : {0640, 0604, 0660, 0602}) {
    ASSERT_EQ(::chmod(path.c_str(), mode), 0);
    auto r = load_key(path);
    ASSERT_FALSE(r.ok()) << std::oct << mode;
    EXPECT_EQ(r.error().code, ErrorCode::kRefused);
    EXPECT_NE(r.error().what.find("chmod 600 " + path), std::string::npos) << r.error().what;
  }
  ASSERT_EQ(::chmod(path.c_str(), 0400), 0);
  EXPECT_TRUE(load_key(path).ok());
}

TEST(WireKey, RejectsMalformedKeyFiles) {
  TempDir dir;
  auto write = [&](const std::string& name, const std::string& text) {
    std::string p = dir.file(name);
    std::ofstream(p) << text;
    ::chmod(p.c_str(), 0600);
    return p;
  };
  std::string hex = generate_key().to_hex();
  EXPECT_TRUE(load_key(write("ok", hex + "\n")).ok());
  EXPECT_TRUE(load_key(write("nonl", hex)).ok());
  EXPECT_FALSE(load_key(write("short", hex.substr(2) + "\n")).ok());
  EXPECT_FALSE(load_key(write("long", hex + "00\n")).ok());
  EXPECT_FALSE(load_key(write("twonl", hex + "\n\n")).ok());
  EXPECT_FALSE(load_key(write("space", " " + hex.substr(1) + "\n")).ok());
  EXPECT_FALSE(load_key(write("empty", "")).ok());
  auto missing = load_key(dir.file("missing"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().err, ENOENT);
  EXPECT_FALSE(load_key(dir.file("")).ok());  // a directory
}

// ---- AEAD backends ----

TEST(WireAead, BackendsProduceIdenticalBytesAndOpenEachOther) {
  std::array<uint8_t, 32> key;
  auto kb = pattern(32, 1);
  std::copy(kb.begin(), kb.end(), key.begin());
  std::array<uint8_t, kAeadNonceSize> nonce{};
  nonce[0] = 5;
  auto ad = pattern(24, 2);
  for (auto algo : {AeadAlgorithm::kAes256Gcm, AeadAlgorithm::kChaCha20Poly1305}) {
    if (!aead_available(algo)) continue;
    for (size_t n : {0u, 1u, 15u, 16u, 17u, 1000u, 65537u}) {
      auto msg = pattern(n, n);
      std::vector<std::vector<uint8_t>> outs;
      for (auto be : {AeadBackend::kSodium, AeadBackend::kOpenSsl}) {
        if (!backend_available(be)) continue;
        Aead a(algo, be, key);
        std::vector<uint8_t> out(n + kAeadTagSize);
        a.seal(nonce, ad, msg.data(), n, out.data(), out.data() + n);
        outs.push_back(out);
        // In place gives the same bytes.
        std::vector<uint8_t> inplace = msg;
        inplace.resize(n + kAeadTagSize);
        a.seal(nonce, ad, inplace.data(), n, inplace.data(), inplace.data() + n);
        EXPECT_EQ(inplace, out);
      }
      for (auto& o : outs) EXPECT_EQ(o, outs[0]) << aead_name(algo) << " n=" << n;
      for (auto be : {AeadBackend::kSodium, AeadBackend::kOpenSsl}) {
        if (!backend_available(be)) continue;
        Aead a(algo, be, key);
        std::vector<uint8_t> c = outs[0];
        ASSERT_TRUE(a.open(nonce, ad, c.data(), n, c.data(), c.data() + n));
        EXPECT_TRUE(std::equal(msg.begin(), msg.end(), c.begin()));
        std::vector<uint8_t> bad = outs[0];
        bad[n] ^= 1;  // tag
        std::vector<uint8_t> out(n + 1, 0xAA);
        EXPECT_FALSE(a.open(nonce, ad, bad.data(), n, out.data(), bad.data() + n));
        for (size_t i = 0; i < n; ++i) ASSERT_EQ(out[i], 0) << "unauthenticated plaintext left";
      }
    }
  }
}

// ---- handshake ----

struct Pair {
  Result<Session> a;
  Result<Session> b;
};

// Runs both handshake state machines against each other in memory.
Pair run(Handshake& i, Handshake& r) {
  auto fail = [](Error e) { return Pair{e, e}; };
  if (auto s = r.on_peer_hello(i.hello_frame()); !s.ok()) return fail(s.error());
  if (auto s = i.on_peer_hello(r.hello_frame()); !s.ok()) return fail(s.error());
  auto rs = r.on_peer_auth(i.auth_frame());
  auto is = i.on_peer_auth(r.auth_frame());
  return Pair{std::move(is), std::move(rs)};
}

TEST(WireHandshake, SameKeyEstablishesMatchingSessions) {
  Key k = generate_key();
  Handshake i(k, Role::kInitiator, 1, {.app_features = 0x30000}),
      r(k, Role::kResponder, 2, {.app_features = 0x10000});
  auto p = run(i, r);
  ASSERT_TRUE(p.a.ok()) << p.a.error().message();
  ASSERT_TRUE(p.b.ok()) << p.b.error().message();
  EXPECT_EQ(p.a->peer_node, 2u);
  EXPECT_EQ(p.b->peer_node, 1u);
  EXPECT_EQ(p.a->features & ~kTransportFeatureMask, 0x10000u);  // intersection
  EXPECT_EQ(p.a->features, p.b->features);
  AeadAlgorithm want = aead_available(AeadAlgorithm::kAes256Gcm)
                           ? AeadAlgorithm::kAes256Gcm
                           : AeadAlgorithm::kChaCha20Poly1305;
  EXPECT_EQ(p.a->crypto.algorithm(), want);
  // a's tx key is b's rx key and vice versa.
  auto msg = as_bytes("over the wire");
  std::vector<uint8_t> f(SessionCrypto::sealed_size(msg.size())), out(msg.size());
  ASSERT_TRUE(p.a->crypto.seal(MsgType::kPing, msg, f).ok());
  auto t = p.b->crypto.open(std::span<const uint8_t, kHeaderSize>(f.data(), kHeaderSize),
                            std::span(f).subspan(kHeaderSize), out);
  ASSERT_TRUE(t.ok()) << t.error().message();
  EXPECT_EQ(*t, MsgType::kPing);
  EXPECT_TRUE(std::equal(out.begin(), out.end(), msg.begin()));
  ASSERT_TRUE(p.b->crypto.seal(MsgType::kPong, msg, f).ok());
  EXPECT_TRUE(p.a->crypto.open(std::span<const uint8_t, kHeaderSize>(f.data(), kHeaderSize),
                               std::span(f).subspan(kHeaderSize), out).ok());
}

TEST(WireHandshake, DifferentKeysFailOnBothSides) {
  Handshake i(generate_key(), Role::kInitiator, 1), r(generate_key(), Role::kResponder, 2);
  auto p = run(i, r);
  ASSERT_FALSE(p.a.ok());
  ASSERT_FALSE(p.b.ok());
  EXPECT_EQ(p.a.error().code, ErrorCode::kRefused);
  EXPECT_EQ(p.b.error().code, ErrorCode::kRefused);
  EXPECT_NE(p.b.error().what.find("did not prove it holds the cluster key"), std::string::npos);
}

TEST(WireHandshake, ChaChaWhenOneSideDoesNotOfferAes) {
  Key k = generate_key();
  Handshake i(k, Role::kInitiator, 1), r(k, Role::kResponder, 2, {.offer_aes256gcm = false});
  auto p = run(i, r);
  ASSERT_TRUE(p.a.ok() && p.b.ok());
  EXPECT_EQ(p.a->crypto.algorithm(), AeadAlgorithm::kChaCha20Poly1305);
  EXPECT_EQ(p.b->crypto.algorithm(), AeadAlgorithm::kChaCha20Poly1305);
  EXPECT_EQ(p.a->features & kFeatureAes256Gcm, 0u);
}

TEST(WireHandshake, FeatureTamperingIsDetected) {
  // A man in the middle clears the AES bit in one hello to force a downgrade.
  Key k = generate_key();
  Handshake i(k, Role::kInitiator, 1), r(k, Role::kResponder, 2);
  std::vector<uint8_t> hello(r.hello_frame().begin(), r.hello_frame().end());
  hello[kHeaderSize + 6] &= static_cast<uint8_t>(~kFeatureAes256Gcm);  // features u64 at +6
  ASSERT_TRUE(i.on_peer_hello(hello).ok());
  ASSERT_TRUE(r.on_peer_hello(i.hello_frame()).ok());
  // r's transcript has its original hello, so the MACs disagree: tampering is detected.
  EXPECT_FALSE(r.on_peer_auth(i.auth_frame()).ok());
  EXPECT_FALSE(i.on_peer_auth(r.auth_frame()).ok());
}

TEST(WireHandshake, RecordedHandshakeCannotBeReplayed) {
  Key k = generate_key();
  Handshake i(k, Role::kInitiator, 1), r1(k, Role::kResponder, 2);
  ASSERT_TRUE(r1.on_peer_hello(i.hello_frame()).ok());
  ASSERT_TRUE(i.on_peer_hello(r1.hello_frame()).ok());
  std::vector<uint8_t> rec_hello(i.hello_frame().begin(), i.hello_frame().end());
  std::vector<uint8_t> rec_auth(i.auth_frame().begin(), i.auth_frame().end());
  ASSERT_TRUE(r1.on_peer_auth(rec_auth).ok());  // the original run works
  // An eavesdropper replays the initiator's bytes to a fresh responder: its new nonce changes
  // the transcript, so the recorded MAC no longer matches.
  Handshake r2(k, Role::kResponder, 2);
  ASSERT_TRUE(r2.on_peer_hello(rec_hello).ok());
  auto s = r2.on_peer_auth(rec_auth);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kRefused);
}

TEST(WireHandshake, ReflectedHelloIsRejected) {
  Key k = generate_key();
  Handshake i(k, Role::kInitiator, 1);
  std::vector<uint8_t> own(i.hello_frame().begin(), i.hello_frame().end());
  auto st = i.on_peer_hello(own);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().what.find("echoed our own hello"), std::string::npos);
}

TEST(WireHandshake, VersionMismatchIsRefusedWithAClearMessage) {
  Key k = generate_key();
  Handshake i(k, Role::kInitiator, 1), r(k, Role::kResponder, 2);
  std::vector<uint8_t> hello(r.hello_frame().begin(), r.hello_frame().end());
  store_le16(hello.data() + 4, 2);
  auto len = i.next_payload_size(std::span<const uint8_t, kHeaderSize>(hello.data(), kHeaderSize));
  ASSERT_FALSE(len.ok());
  EXPECT_EQ(len.error().code, ErrorCode::kRefused);
  EXPECT_NE(len.error().what.find("peer speaks wire protocol version 2"), std::string::npos);
  EXPECT_FALSE(i.on_peer_hello(hello).ok());
}

TEST(WireHandshake, RejectsUnexpectedFrames) {
  Key k = generate_key();
  Handshake i(k, Role::kInitiator, 1), r(k, Role::kResponder, 2);
  // Auth before hello.
  ASSERT_TRUE(r.on_peer_hello(i.hello_frame()).ok());
  Handshake fresh(k, Role::kInitiator, 3);
  EXPECT_FALSE(fresh.on_peer_hello(r.auth_frame()).ok());
  // Hello with a wrong sequence, wrong length, bad hello magic.
  auto mutate = [&](auto f) {
    Handshake h(k, Role::kInitiator, 1);
    std::vector<uint8_t> hello(r.hello_frame().begin(), r.hello_frame().end());
    f(hello);
    return h.on_peer_hello(hello);
  };
  EXPECT_FALSE(mutate([](auto& v) { v[16] = 1; }).ok());                   // sequence 1
  EXPECT_FALSE(mutate([](auto& v) { v.push_back(0); }).ok());              // extra byte
  EXPECT_FALSE(mutate([](auto& v) { v.pop_back(); }).ok());                // short
  EXPECT_FALSE(mutate([](auto& v) { v[kHeaderSize] ^= 1; }).ok());         // hello magic
  EXPECT_FALSE(mutate([](auto& v) { store_le32(v.data() + 12, 51); }).ok());  // length
  // After a failure the state machine refuses to continue.
  Handshake h(k, Role::kInitiator, 1);
  EXPECT_FALSE(h.on_peer_hello(std::span(r.hello_frame()).first(10)).ok());
  EXPECT_FALSE(h.on_peer_hello(r.hello_frame()).ok());
}

TEST(WireHandshake, HelloCodecRoundTrip) {
  Hello h;
  h.features = 0x123456789ull;
  h.node = 77;
  h.nonce[31] = 9;
  auto b = encode_hello(h);
  EXPECT_EQ(b.size(), kHelloSize);
  auto d = decode_hello(b);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->features, h.features);
  EXPECT_EQ(d->node, 77u);
  EXPECT_EQ(d->nonce, h.nonce);
  b.pop_back();
  EXPECT_FALSE(decode_hello(b).ok());
}

// ---- SessionCrypto ----

struct Sessions {
  SessionCrypto a;
  SessionCrypto b;
};

Sessions make_sessions(AeadAlgorithm algo, AeadBackend be = default_backend(),
                       uint64_t rekey = kRekeyBytes) {
  auto k1 = pattern(32, 11), k2 = pattern(32, 12);
  std::span<const uint8_t, 32> s1(k1.data(), 32), s2(k2.data(), 32);
  return Sessions{SessionCrypto(algo, s1, s2, be, rekey), SessionCrypto(algo, s2, s1, be, rekey)};
}

std::vector<uint8_t> seal(SessionCrypto& s, MsgType t, std::span<const uint8_t> p) {
  std::vector<uint8_t> f(SessionCrypto::sealed_size(p.size()));
  OMX_CHECK(s.seal(t, p, f).ok(), "seal");
  return f;
}

Result<MsgType> open(SessionCrypto& s, std::span<const uint8_t> f, std::vector<uint8_t>* out = nullptr) {
  std::vector<uint8_t> tmp;
  if (!out) out = &tmp;
  if (f.size() < kHeaderSize) return make_error(ErrorCode::kProtocol, "short");
  out->resize(f.size() >= SessionCrypto::kOverhead ? f.size() - SessionCrypto::kOverhead : 0);
  return s.open(std::span<const uint8_t, kHeaderSize>(f.data(), kHeaderSize), f.subspan(kHeaderSize),
                *out);
}

}  // namespace

// Readable test parameters in ctest output.
void PrintTo(AeadAlgorithm a, std::ostream* os) { *os << aead_name(a); }
void PrintTo(AeadBackend b, std::ostream* os) { *os << backend_name(b); }

namespace {

// Runs for every algorithm and backend this build and CPU have (ctest would count a GTEST_SKIP
// as a pass, so unavailable combinations are simply not instantiated).
std::vector<std::tuple<AeadAlgorithm, AeadBackend>> available_combinations() {
  std::vector<std::tuple<AeadAlgorithm, AeadBackend>> v;
  for (auto algo : {AeadAlgorithm::kAes256Gcm, AeadAlgorithm::kChaCha20Poly1305}) {
    for (auto be : {AeadBackend::kSodium, AeadBackend::kOpenSsl}) {
      if (aead_available(algo) && backend_available(be)) v.emplace_back(algo, be);
    }
  }
  return v;
}

class WireSessionCrypto : public ::testing::TestWithParam<std::tuple<AeadAlgorithm, AeadBackend>> {
 protected:
  Sessions make(uint64_t rekey = kRekeyBytes) {
    return make_sessions(std::get<0>(GetParam()), std::get<1>(GetParam()), rekey);
  }
};

TEST_P(WireSessionCrypto, SealsAndOpensInOrder) {
  auto s = make();
  for (int i = 0; i < 5; ++i) {
    auto p = pattern(100 * i, i);
    auto f = seal(s.a, MsgType::kSyscallRequest, p);
    EXPECT_EQ(load_le64(f.data() + 16), kFirstSealedSequence + i);
    std::vector<uint8_t> out;
    auto t = open(s.b, f, &out);
    ASSERT_TRUE(t.ok()) << t.error().message();
    EXPECT_EQ(*t, MsgType::kSyscallRequest);
    EXPECT_EQ(out, p);
  }
}

TEST_P(WireSessionCrypto, SealInPlaceMatchesSeal) {
  auto s1 = make(), s2 = make();
  auto p = pattern(5000, 3);
  auto f1 = seal(s1.a, MsgType::kMigrateImageChunk, p);
  std::vector<uint8_t> f2(SessionCrypto::sealed_size(p.size()));
  std::copy(p.begin(), p.end(), f2.begin() + kHeaderSize);
  ASSERT_TRUE(s2.a.seal_in_place(MsgType::kMigrateImageChunk, f2).ok());
  EXPECT_EQ(f1, f2);
}

TEST_P(WireSessionCrypto, ReplayedFrameFailsAndPoisons) {
  auto s = make();
  auto f1 = seal(s.a, MsgType::kPing, as_bytes("one"));
  auto f2 = seal(s.a, MsgType::kPing, as_bytes("two"));
  ASSERT_TRUE(open(s.b, f1).ok());
  auto r = open(s.b, f1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kProtocol);
  EXPECT_NE(r.error().what.find("replayed, reordered or lost"), std::string::npos);
  // Poisoned: even the genuine next frame is refused now.
  EXPECT_FALSE(open(s.b, f2).ok());
  ASSERT_TRUE(s.b.failure().has_value());
}

TEST_P(WireSessionCrypto, ReorderedFrameFails) {
  auto s = make();
  auto f1 = seal(s.a, MsgType::kPing, as_bytes("one"));
  auto f2 = seal(s.a, MsgType::kPing, as_bytes("two"));
  EXPECT_FALSE(open(s.b, f2).ok());
  (void)f1;
}

TEST_P(WireSessionCrypto, ReplayWithRewrittenSequenceFails) {
  auto s = make();
  auto f1 = seal(s.a, MsgType::kPing, as_bytes("one"));
  ASSERT_TRUE(open(s.b, f1).ok());
  store_le64(f1.data() + 16, kFirstSealedSequence + 1);  // pretend to be the next frame
  auto r = open(s.b, f1);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().what.find("failed authentication"), std::string::npos);
}

TEST_P(WireSessionCrypto, EveryModifiedByteFails) {
  auto s = make();
  auto p = pattern(64, 9);
  auto f = seal(s.a, MsgType::kSyscallReply, p);
  for (size_t i = 0; i < f.size(); ++i) {
    auto fresh = make();
    auto g = seal(fresh.a, MsgType::kSyscallReply, p);
    g[i] ^= 0x01;
    auto r = open(fresh.b, g);
    EXPECT_FALSE(r.ok()) << "byte " << i;
  }
}

TEST_P(WireSessionCrypto, TruncatedOrExtendedBodyFails) {
  auto s = make();
  auto f = seal(s.a, MsgType::kPing, pattern(100, 1));
  std::vector<uint8_t> shorter(f.begin(), f.end() - 1);
  EXPECT_FALSE(open(s.b, shorter).ok());
  auto s2 = make();
  auto g = seal(s2.a, MsgType::kPing, pattern(100, 1));
  store_le32(g.data() + 12, load_le32(g.data() + 12) - 1);  // length field shortened to match
  g.pop_back();
  EXPECT_FALSE(open(s2.b, g).ok());
  auto s3 = make();
  auto h = seal(s3.a, MsgType::kPing, pattern(100, 1));
  h.push_back(0);
  EXPECT_FALSE(open(s3.b, h).ok());
}

TEST_P(WireSessionCrypto, OversizedMessageIsRefusedWithoutConsumingASequence) {
  auto s = make();
  std::vector<uint8_t> big(SessionCrypto::kMaxMessage + 1);
  std::vector<uint8_t> f(SessionCrypto::sealed_size(big.size()));
  auto st = s.a.seal(MsgType::kMigrateImageChunk, big, f);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kInvalid);
  EXPECT_EQ(s.a.next_tx_sequence(), kFirstSealedSequence);
  big.pop_back();
  f.pop_back();
  ASSERT_TRUE(s.a.seal(MsgType::kMigrateImageChunk, big, f).ok());  // exactly the maximum
  EXPECT_EQ(f.size(), kMaxFrameSize);
  EXPECT_TRUE(open(s.b, f).ok());
}

TEST_P(WireSessionCrypto, RekeysAtTheSameFrameOnBothEnds) {
  auto s = make(/*rekey=*/1000);
  auto ref = make();  // never rekeys within this test
  for (int i = 0; i < 50; ++i) {
    auto p = pattern(97 + i, i);
    auto f = seal(s.a, MsgType::kPing, p);
    auto g = seal(ref.a, MsgType::kPing, p);
    if (i > 10) {
      EXPECT_NE(f, g) << "key should have rotated by frame " << i;
    }
    std::vector<uint8_t> out;
    auto t = open(s.b, f, &out);
    ASSERT_TRUE(t.ok()) << "frame " << i << ": " << t.error().message();
    EXPECT_EQ(out, p);
  }
}

INSTANTIATE_TEST_SUITE_P(
    All, WireSessionCrypto,
    ::testing::ValuesIn(available_combinations()),
    [](const auto& info) {
      return std::string(std::get<0>(info.param) == AeadAlgorithm::kAes256Gcm ? "AesGcm"
                                                                                : "ChaCha") +
             (std::get<1>(info.param) == AeadBackend::kSodium ? "Sodium" : "OpenSsl");
    });

}  // namespace
}  // namespace omx::wire
