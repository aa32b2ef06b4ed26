// Channel over real sockets (socketpairs and loopback TCP): handshake, rejection of replayed,
// modified, truncated and oversized frames, timeouts, partial frames, large transfers.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <sodium.h>

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "base/log.h"
#include "wire/channel.h"
#include "wire/codec.h"
#include "wire_test_util.h"

namespace omx::wire {
namespace {

using namespace std::chrono_literals;
using testing::as_bytes;
using testing::channel_pair;
using testing::pattern;
using testing::RawPeerFixture;
using testing::socket_pair;
using testing::write_raw;

// A loopback TCP listener on an ephemeral port.
struct Listener {
  ScopedFd fd;
  uint16_t port = 0;
  Listener() {
    fd.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    OMX_CHECK(::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0, "bind");
    OMX_CHECK(::listen(fd.get(), 8) == 0, "listen");
    socklen_t len = sizeof(a);
    ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ScopedFd accept() { return ScopedFd(::accept4(fd.get(), nullptr, nullptr, SOCK_CLOEXEC)); }
};

TEST(WireChannel, HandshakeOverTcpAndExchange) {
  Key key = generate_key();
  Listener l;
  auto server = std::async(std::launch::async, [&] {
    return Channel::accept(l.accept(), key, 2, 5s, {.app_features = 0x70000});
  });
  auto client = Channel::connect("127.0.0.1", l.port, key, 1, 5s, {.app_features = 0x50000});
  auto srv = server.get();
  ASSERT_TRUE(client.ok()) << client.error().message();
  ASSERT_TRUE(srv.ok()) << srv.error().message();
  EXPECT_EQ(client->peer_node(), 2u);
  EXPECT_EQ(srv->peer_node(), 1u);
  EXPECT_EQ(client->features() & ~kTransportFeatureMask, 0x50000u);
  EXPECT_EQ(client->features(), srv->features());

  ASSERT_TRUE(client->send(MsgType::kMigrateOffer, as_bytes("offer pid 42")).ok());
  ASSERT_TRUE(client->send(MsgType::kPing, {}).ok());  // empty payload
  auto f = srv->recv(5s);
  ASSERT_TRUE(f.ok()) << f.error().message();
  EXPECT_EQ(f->type, MsgType::kMigrateOffer);
  EXPECT_EQ(std::string(f->payload.begin(), f->payload.end()), "offer pid 42");
  auto g = srv->recv(5s);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->type, MsgType::kPing);
  EXPECT_TRUE(g->payload.empty());
  ASSERT_TRUE(srv->send(MsgType::kMigrateAccept, as_bytes("yes")).ok());
  auto h = client->recv(5s);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->type, MsgType::kMigrateAccept);
}

TEST(WireChannel, DifferentKeysFailOnBothSidesAndNoFrameIsAccepted) {
  auto [a, b] = channel_pair(generate_key(), generate_key());
  ASSERT_FALSE(a.ok());
  ASSERT_FALSE(b.ok());
  EXPECT_TRUE(a.error().code == ErrorCode::kRefused || a.error().code == ErrorCode::kSys)
      << a.error().message();
  EXPECT_TRUE(b.error().code == ErrorCode::kRefused || b.error().code == ErrorCode::kSys)
      << b.error().message();
  // At least one side saw the failed proof itself.
  EXPECT_TRUE(a.error().code == ErrorCode::kRefused || b.error().code == ErrorCode::kRefused);
}

TEST(WireChannel, KeylessPeerThatSendsFramesAnywayGetsNothingThrough) {
  // The impostor runs the handshake with its own key and then pushes sealed frames at once.
  Key real = generate_key(), fake = generate_key();
  auto [x, y] = socket_pair();
  int raw = x.get();
  auto impostor = std::async(std::launch::async, [&, raw] {
    auto s = testing::raw_handshake(raw, fake, Role::kInitiator, 1);
    return s.ok();
  });
  auto ch = Channel::establish(std::move(y), Role::kResponder, real, 2, 5s);
  EXPECT_FALSE(ch.ok());
  EXPECT_FALSE(impostor.get());
}

TEST(WireChannel, ChaChaAndBothBackendsCarryData) {
  for (bool aes : {true, false}) {
    for (auto be : {AeadBackend::kSodium, AeadBackend::kOpenSsl}) {
      if (!backend_available(be)) continue;
      Key key = generate_key();
      SessionOptions o{.offer_aes256gcm = aes, .backend = be};
      auto [a, b] = channel_pair(key, key, o, o);
      ASSERT_TRUE(a.ok() && b.ok());
      bool want_aes = aes && aead_available(AeadAlgorithm::kAes256Gcm);
      EXPECT_EQ(a->algorithm(), want_aes ? AeadAlgorithm::kAes256Gcm
                                         : AeadAlgorithm::kChaCha20Poly1305);
      auto p = pattern(100000, 5);  // larger than the read-ahead buffer, fits the socket
      ASSERT_TRUE(a->send(MsgType::kMigrateImageChunk, p).ok());
      auto f = b->recv(5s);
      ASSERT_TRUE(f.ok()) << f.error().message();
      EXPECT_EQ(f->payload, p);
    }
  }
}

TEST(WireChannel, ReplayedFrameIsRejectedAndChannelClosed) {
  Key key = generate_key();
  auto fx = RawPeerFixture::make(key);
  auto f1 = fx.seal(MsgType::kSyscallRequest, as_bytes("read(3)"));
  write_raw(fx.raw.get(), f1);
  write_raw(fx.raw.get(), f1);  // replay
  auto ok = fx.channel->recv(5s);
  ASSERT_TRUE(ok.ok()) << ok.error().message();
  auto bad = fx.channel->recv(5s);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kProtocol);
  EXPECT_NE(bad.error().what.find("replayed"), std::string::npos) << bad.error().what;
  EXPECT_FALSE(fx.channel->is_open());
  // Closed for good: later calls report the same error.
  auto again = fx.channel->recv(0ms);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().what, bad.error().what);
  EXPECT_FALSE(fx.channel->send(MsgType::kPing, {}).ok());
}

TEST(WireChannel, ReorderedFrameIsRejected) {
  Key key = generate_key();
  auto fx = RawPeerFixture::make(key);
  auto f1 = fx.seal(MsgType::kPing, as_bytes("1"));
  auto f2 = fx.seal(MsgType::kPing, as_bytes("2"));
  write_raw(fx.raw.get(), f2);
  write_raw(fx.raw.get(), f1);
  auto r = fx.channel->recv(5s);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kProtocol);
}

TEST(WireChannel, ModifiedFramesAreRejected) {
  Key key = generate_key();
  // Flip one bit in the header (sequence, type, length) or the body or the tag.
  for (size_t pos : {6u, 12u, 16u, 30u, 60u, 70u}) {
    auto fx = RawPeerFixture::make(key);
    auto f = fx.seal(MsgType::kSyscallReply, pattern(40, pos));
    f[pos] ^= 0x04;
    write_raw(fx.raw.get(), f);
    ::shutdown(fx.raw.get(), SHUT_WR);
    auto r = fx.channel->recv(5s);
    ASSERT_FALSE(r.ok()) << "pos " << pos;
    EXPECT_EQ(r.error().code, ErrorCode::kProtocol) << r.error().message();
    EXPECT_FALSE(fx.channel->is_open());
  }
}

TEST(WireChannel, TruncatedFrameIsRejected) {
  Key key = generate_key();
  for (size_t n : {size_t{200}, size_t{200000}}) {
    auto fx = RawPeerFixture::make(key);
    auto f = fx.seal(MsgType::kMigrateImageChunk, pattern(n, 1));
    write_raw(fx.raw.get(), std::span(f).first(f.size() / 2));
    fx.raw.reset();  // peer dies mid-frame
    auto r = fx.channel->recv(5s);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kProtocol);
    EXPECT_NE(r.error().what.find("closed inside a frame"), std::string::npos) << r.error().what;
  }
}

TEST(WireChannel, OversizedAndMalformedHeadersAreRejectedWithoutReadingOn) {
  Key key = generate_key();
  struct Case {
    const char* why;
    void (*mutate)(FrameHeader&);
  } cases[] = {
      {"exceeds the limit", [](FrameHeader& h) { h.length = UINT32_MAX; }},
      {"exceeds the limit", [](FrameHeader& h) { h.length = kMaxPayload + 1; }},
      {"bad magic", [](FrameHeader& h) { h.magic = 0x20544547; }},  // "GET "
      {"protocol version", [](FrameHeader& h) { h.version = 9; }},
      {"unknown type", [](FrameHeader& h) { h.type = 0x0999; }},
      {"cannot be sealed", [](FrameHeader& h) { h.length = 3; }},
  };
  for (const auto& c : cases) {
    auto fx = RawPeerFixture::make(key);
    FrameHeader h;
    h.type = static_cast<uint16_t>(MsgType::kPing);
    h.sequence = kFirstSealedSequence;
    c.mutate(h);
    std::array<uint8_t, kHeaderSize> b;
    encode_header(h, b);
    write_raw(fx.raw.get(), b);  // and nothing else: the channel must not wait for a body
    auto r = fx.channel->recv(5s);
    ASSERT_FALSE(r.ok()) << c.why;
    EXPECT_EQ(r.error().code, ErrorCode::kProtocol);
    EXPECT_NE(r.error().what.find(c.why), std::string::npos) << r.error().what;
  }
}

TEST(WireChannel, OversizedSendIsRefusedAndChannelStaysUsable) {
  Key key = generate_key();
  auto [a, b] = channel_pair(key, key);
  ASSERT_TRUE(a.ok() && b.ok());
  std::vector<uint8_t> big(SessionCrypto::kMaxMessage + 1);
  auto st = a->send(MsgType::kMigrateImageChunk, big);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kInvalid);
  EXPECT_FALSE(a->prepare(big.size()).ok());
  EXPECT_TRUE(a->send(MsgType::kPing, as_bytes("still here")).ok());
  auto f = b->recv(5s);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->type, MsgType::kPing);
}

TEST(WireChannel, RecvTimeoutKeepsChannelAndPartialFrame) {
  Key key = generate_key();
  auto fx = RawPeerFixture::make(key);
  auto t0 = std::chrono::steady_clock::now();
  auto r = fx.channel->recv(50ms);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kTimeout);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 45ms);
  EXPECT_TRUE(fx.channel->is_open());
  // A frame arriving in pieces across several zero-timeout recvs (small and large frames).
  for (size_t n : {size_t{1000}, size_t{300000}}) {
    auto p = pattern(n, n);
    auto f = fx.seal(MsgType::kSyscallReply, p);
    size_t cuts[] = {3, kHeaderSize + 1, f.size() / 2, f.size() - 1, f.size()};
    size_t done = 0;
    Frame out;
    for (size_t cut : cuts) {
      write_raw(fx.raw.get(), std::span(f).subspan(done, cut - done));
      done = cut;
      std::this_thread::sleep_for(5ms);
      auto st = fx.channel->recv(out, 0ms);
      if (done < f.size()) {
        ASSERT_FALSE(st.ok());
        EXPECT_EQ(st.error().code, ErrorCode::kTimeout);
      } else {
        // The socket may not have delivered the last byte yet.
        if (!st.ok()) st = fx.channel->recv(out, 5s);
        ASSERT_TRUE(st.ok()) << st.error().message();
        EXPECT_EQ(out.payload, p);
      }
    }
  }
}

TEST(WireChannel, SeveralSmallFramesInOneReadAndFrameReady) {
  Key key = generate_key();
  auto fx = RawPeerFixture::make(key);
  std::vector<uint8_t> all;
  for (int i = 0; i < 10; ++i) {
    auto f = fx.seal(MsgType::kSyscallRequest, pattern(50 + i, i));
    all.insert(all.end(), f.begin(), f.end());
  }
  write_raw(fx.raw.get(), all);
  std::this_thread::sleep_for(10ms);
  EXPECT_FALSE(fx.channel->frame_ready());  // nothing read yet
  for (int i = 0; i < 10; ++i) {
    auto f = fx.channel->recv(5s);
    ASSERT_TRUE(f.ok()) << i;
    EXPECT_EQ(f->payload, pattern(50 + i, i));
    EXPECT_EQ(fx.channel->frame_ready(), i < 9);  // the rest came in with the first read
  }
}

TEST(WireChannel, HandshakeTimesOutWhenPeerIsSilent) {
  auto [x, y] = socket_pair();
  auto t0 = std::chrono::steady_clock::now();
  auto ch = Channel::establish(std::move(y), Role::kResponder, generate_key(), 2, 100ms);
  ASSERT_FALSE(ch.ok());
  EXPECT_EQ(ch.error().code, ErrorCode::kTimeout);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
}

TEST(WireChannel, HandshakeRejectsANonOmxPeer) {
  auto [x, y] = socket_pair();
  write_raw(x.get(), as_bytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto ch = Channel::establish(std::move(y), Role::kResponder, generate_key(), 2, 5s);
  ASSERT_FALSE(ch.ok());
  EXPECT_EQ(ch.error().code, ErrorCode::kProtocol);
  EXPECT_NE(ch.error().what.find("bad magic"), std::string::npos) << ch.error().what;
}

TEST(WireChannel, PeerCloseBetweenFramesIsReportedAsSuch) {
  Key key = generate_key();
  auto [a, b] = channel_pair(key, key);
  ASSERT_TRUE(a.ok() && b.ok());
  a->close();
  auto r = b->recv(5s);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(is_peer_closed(r.error())) << r.error().message();
  EXPECT_FALSE(a->send(MsgType::kPing, {}).ok());
}

TEST(WireChannel, ConnectFailuresAreClear) {
  Listener l;
  uint16_t port = l.port;
  l.fd.reset();  // nothing listens there now
  auto r = Channel::connect("127.0.0.1", port, generate_key(), 1, 2s);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().err, ECONNREFUSED) << r.error().message();
  auto n = Channel::connect("no-such-host.invalid", 4660, generate_key(), 1, 2s);
  ASSERT_FALSE(n.ok());
  EXPECT_NE(n.error().what.find("resolve no-such-host.invalid"), std::string::npos);
  // A plain socket that is not a stream socket is refused.
  ScopedFd udp(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  auto u = Channel::accept(std::move(udp), generate_key(), 1, 1s);
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.error().code, ErrorCode::kInvalid);
}

TEST(WireChannel, SendIovAndPreparedSendsGatherCorrectly) {
  Key key = generate_key();
  auto [a, b] = channel_pair(key, key);
  ASSERT_TRUE(a.ok() && b.ok());
  auto p1 = pattern(10, 1), p2 = pattern(0, 2), p3 = pattern(70000, 3);
  iovec iov[] = {{p1.data(), p1.size()}, {p2.data(), p2.size()}, {p3.data(), p3.size()}};
  ASSERT_TRUE(a->send_iov(MsgType::kSyscallReply, iov).ok());
  ASSERT_TRUE(a->send_iov(MsgType::kSyscallReply, std::span(iov, 1)).ok());
  auto buf = a->prepare(4096);
  ASSERT_TRUE(buf.ok());
  auto p4 = pattern(4096, 4);
  std::copy(p4.begin(), p4.end(), buf->begin());
  ASSERT_TRUE(a->send_prepared(MsgType::kMigrateImageChunk).ok());

  std::vector<uint8_t> want = p1;
  want.insert(want.end(), p3.begin(), p3.end());
  auto f = b->recv(5s);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->payload, want);
  auto g = b->recv(5s);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->payload, p1);
  auto h = b->recv(5s);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->type, MsgType::kMigrateImageChunk);
  EXPECT_EQ(h->payload, p4);
}

// 64 MiB in 1 MiB frames over loopback TCP, checked frame by frame and by a hash of everything.
TEST(WireChannel, LargeTransferOverTcpKeepsIntegrity) {
  constexpr size_t kChunk = 1 << 20, kTotal = 64 << 20;
  Key key = generate_key();
  Listener l;
  auto server = std::async(std::launch::async, [&]() -> std::string {
    auto ch = Channel::accept(l.accept(), key, 2, 5s);
    if (!ch.ok()) return ch.error().message();
    crypto_generichash_state st;
    crypto_generichash_init(&st, nullptr, 0, 32);
    Frame f;
    size_t got = 0;
    for (size_t i = 0; got < kTotal; ++i) {
      auto r = ch->recv(f, 20s);
      if (!r.ok()) return r.error().message();
      if (f.payload.size() != kChunk || f.payload[0] != static_cast<uint8_t>(i)) {
        return "frame " + std::to_string(i) + " out of order or wrong size";
      }
      crypto_generichash_update(&st, f.payload.data(), f.payload.size());
      got += f.payload.size();
    }
    uint8_t h[32];
    crypto_generichash_final(&st, h, 32);
    auto done = ch->send(MsgType::kMigrateAck, std::span<const uint8_t>(h, 32));
    return done.ok() ? "" : done.error().message();
  });
  auto ch = Channel::connect("127.0.0.1", l.port, key, 1, 5s);
  ASSERT_TRUE(ch.ok()) << ch.error().message();
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, 32);
  auto base = pattern(kChunk, 7);
  for (size_t i = 0; i < kTotal / kChunk; ++i) {
    auto buf = ch->prepare(kChunk);
    ASSERT_TRUE(buf.ok());
    std::copy(base.begin(), base.end(), buf->begin());
    (*buf)[0] = static_cast<uint8_t>(i);
    (*buf)[kChunk - 1] = static_cast<uint8_t>(i * 7);
    crypto_generichash_update(&st, buf->data(), kChunk);
    ASSERT_TRUE(ch->send_prepared(MsgType::kMigrateImageChunk).ok());
  }
  uint8_t want[32];
  crypto_generichash_final(&st, want, 32);
  auto ack = ch->recv(20s);
  ASSERT_EQ(server.get(), "");
  ASSERT_TRUE(ack.ok()) << ack.error().message();
  EXPECT_EQ(ack->type, MsgType::kMigrateAck);
  EXPECT_EQ(ack->payload, std::vector<uint8_t>(want, want + 32));
}

TEST(WireChannel, SendTimeoutEndsTheChannel) {
  Key key = generate_key();
  auto [a, b] = channel_pair(key, key);
  ASSERT_TRUE(a.ok() && b.ok());
  a->set_send_timeout(100ms);
  std::vector<uint8_t> chunk(1 << 20);
  Status st;
  for (int i = 0; i < 64 && st.ok(); ++i) st = a->send(MsgType::kMigrateImageChunk, chunk);
  ASSERT_FALSE(st.ok());  // b never reads: socket buffers fill up
  EXPECT_EQ(st.error().code, ErrorCode::kTimeout);
  EXPECT_FALSE(a->is_open());
}

}  // namespace
}  // namespace omx::wire
