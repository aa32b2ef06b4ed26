// Channel handoff (one process runs the handshake, another goes on with the session) and the
// session-owner frame: codecs, fd passing, a session continuing across the handoff in both
// directions, with rekeying, and refusal of bad handoffs.
#include <sys/socket.h>
#include <unistd.h>

#include <sodium.h>

#include <set>

#include <gtest/gtest.h>

#include "wire/channel_handoff.h"
#include "wire/codec.h"
#include "wire/session_owner.h"
#include "wire_test_util.h"

namespace omx::wire {
namespace {

using namespace std::chrono_literals;
using testing::as_bytes;
using testing::channel_pair;

std::pair<ScopedFd, ScopedFd> seqpacket_pair() {
  int sv[2];
  OMX_CHECK(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0, "socketpair");
  return {ScopedFd(sv[0]), ScopedFd(sv[1])};
}

std::string recv_text(Channel& ch) {
  auto f = ch.recv(5s);
  OMX_CHECK(f.ok(), "recv failed");
  return std::string(f->payload.begin(), f->payload.end());
}

TEST(WireHandoff, SessionGoesOnInAnotherChannelObjectBothWays) {
  Key key = generate_key();
  auto [a, b] = channel_pair(key, key);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(a->send(MsgType::kSessionOwner, as_bytes("before")).ok());
  EXPECT_EQ(recv_text(*b), "before");
  ASSERT_TRUE(b->send(MsgType::kPing, as_bytes("reply before")).ok());
  EXPECT_EQ(recv_text(*a), "reply before");

  auto released = a->release();
  ASSERT_TRUE(released.ok()) << released.error().message();
  EXPECT_FALSE(a->is_open());
  // Through the codec and a unix socket with the fd attached, as omxd hands it to a user.
  auto [s1, s2] = seqpacket_pair();
  auto bytes = encode_handoff(released->second);
  ASSERT_TRUE(send_with_fd(s1.get(), bytes, released->first.get()).ok());
  released->first.reset();
  auto got = recv_with_fd(s2.get(), 5s);
  ASSERT_TRUE(got.ok()) << got.error().message();
  ASSERT_TRUE(got->second.valid());
  auto h = decode_handoff(got->first);
  ASSERT_TRUE(h.ok()) << h.error().message();
  EXPECT_EQ(h->node, 1u);
  EXPECT_EQ(h->peer_node, 2u);
  auto adopted = Channel::adopt(std::move(got->second), *h);
  ASSERT_TRUE(adopted.ok()) << adopted.error().message();
  EXPECT_EQ(adopted->peer_node(), 2u);
  EXPECT_EQ(adopted->features(), b->features());

  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(adopted->send(MsgType::kPing, as_bytes("after " + std::to_string(i))).ok());
    EXPECT_EQ(recv_text(*b), "after " + std::to_string(i));
    ASSERT_TRUE(b->send(MsgType::kPong, as_bytes("back " + std::to_string(i))).ok());
    EXPECT_EQ(recv_text(*adopted), "back " + std::to_string(i));
  }
}

TEST(WireHandoff, SecretsCarryCountersAndRekeyEpochs) {
  uint8_t k1[kAeadKeySize], k2[kAeadKeySize];
  randombytes_buf(k1, sizeof k1);
  randombytes_buf(k2, sizeof k2);
  // A tiny rekey threshold: every frame rotates the key, so a wrong epoch or key would show.
  SessionCrypto alice(AeadAlgorithm::kChaCha20Poly1305, k1, k2, default_backend(), 1);
  SessionCrypto bob(AeadAlgorithm::kChaCha20Poly1305, k2, k1, default_backend(), 1);
  auto pass = [](SessionCrypto& from, SessionCrypto& to, const std::string& text) {
    std::vector<uint8_t> frame(SessionCrypto::sealed_size(text.size()));
    OMX_CHECK(from.seal(MsgType::kPing, as_bytes(text), frame).ok(), "seal");
    std::vector<uint8_t> out(text.size());
    auto t = to.open(std::span<const uint8_t, kHeaderSize>(frame.data(), kHeaderSize),
                     std::span<const uint8_t>(frame).subspan(kHeaderSize), out);
    return t.ok() && std::string(out.begin(), out.end()) == text;
  };
  ASSERT_TRUE(pass(alice, bob, "one"));
  ASSERT_TRUE(pass(alice, bob, "two"));
  ASSERT_TRUE(pass(bob, alice, "three"));
  auto secrets = alice.export_secrets();
  ASSERT_TRUE(secrets.ok());
  EXPECT_EQ(secrets->tx.seq, kFirstSealedSequence + 2);
  EXPECT_EQ(secrets->tx.epoch, 2u);
  EXPECT_EQ(secrets->rx.seq, kFirstSealedSequence + 1);
  ChannelHandoff h;
  h.secrets = *secrets;
  auto back = decode_handoff(encode_handoff(h));
  ASSERT_TRUE(back.ok());
  SessionCrypto alice2(back->secrets);
  EXPECT_TRUE(pass(alice2, bob, "four"));
  EXPECT_TRUE(pass(bob, alice2, "five"));
}

TEST(WireHandoff, BadHandoffsAreRejected) {
  ChannelHandoff h;
  auto good = encode_handoff(h);
  for (size_t n = 0; n < good.size(); ++n)
    EXPECT_FALSE(decode_handoff(std::span<const uint8_t>(good).first(n)).ok()) << n;
  auto longer = good;
  longer.push_back(0);
  EXPECT_FALSE(decode_handoff(longer).ok());
  auto bad_alg = good;
  bad_alg[16] = 9;  // algorithm byte after node, peer node, features
  EXPECT_FALSE(decode_handoff(bad_alg).ok());
}

TEST(WireHandoff, ReleaseIsRefusedWhileBytesAreBuffered) {
  Key key = generate_key();
  auto [a, b] = channel_pair(key, key);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(b->send(MsgType::kPing, as_bytes("x")).ok());
  ASSERT_TRUE(b->send(MsgType::kPing, as_bytes("y")).ok());
  EXPECT_EQ(recv_text(*a), "x");  // "y" sits in a's read-ahead buffer now
  auto r = a->release();
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(a->is_open());
}

TEST(WireHandoff, FdPassingRejectsTimeoutsAndClosedSockets) {
  auto [s1, s2] = seqpacket_pair();
  auto t = recv_with_fd(s2.get(), 50ms);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().code, ErrorCode::kTimeout);
  ASSERT_TRUE(send_with_fd(s1.get(), as_bytes("plain")).ok());
  auto p = recv_with_fd(s2.get(), 1s);
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(p->second.valid());
  EXPECT_EQ(std::string(p->first.begin(), p->first.end()), "plain");
  s1.reset();
  EXPECT_FALSE(recv_with_fd(s2.get(), 1s).ok());
}

TEST(WireSessionOwner, CodecRoundTripAndRejection) {
  SessionOwner o{1000, 100, {4, 24, 27}};
  auto bytes = encode_owner(o);
  auto back = decode_owner(bytes);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, o);
  EXPECT_EQ(o.to_string(), "uid 1000 gid 100 groups 4,24,27");
  for (size_t n = 0; n < bytes.size(); ++n)
    EXPECT_FALSE(decode_owner(std::span<const uint8_t>(bytes).first(n)).ok()) << n;
  Writer huge;
  huge.u32(1);
  huge.u32(1);
  huge.u32(0xFFFFFFFF);  // a count no payload can hold: rejected before any allocation
  EXPECT_FALSE(decode_owner(huge.data()).ok());
}

TEST(WireSessionOwner, PeerOwnerIsTheKernelsView) {
  auto [s1, s2] = seqpacket_pair();
  auto peer = peer_owner(s2.get());
  auto self = self_owner();
  ASSERT_TRUE(peer.ok()) << peer.error().message();
  ASSERT_TRUE(self.ok());
  EXPECT_EQ(peer->uid, self->uid);
  EXPECT_EQ(peer->gid, self->gid);
  std::set<uint32_t> a(peer->groups.begin(), peer->groups.end()), b(self->groups.begin(), self->groups.end());
  EXPECT_EQ(a, b);
}

}  // namespace
}  // namespace omx::wire
