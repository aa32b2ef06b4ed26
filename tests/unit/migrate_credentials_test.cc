// Which credentials a migrated body runs with (migrate/guest.h body_credentials): an ordinary
// user's session carries only that user's process; root's session may carry anyone's; a body
// owned by root needs allow_root.
#include <gtest/gtest.h>

#include "migrate/guest.h"

namespace omx::migrate {
namespace {

Offer offer_for(uint32_t uid, uint32_t gid, std::vector<uint32_t> groups) {
  Offer o;
  o.uid = uid;
  o.gid = gid;
  o.groups = std::move(groups);
  return o;
}

TEST(BodyCredentials, UserSessionCarriesExactlyThatUser) {
  wire::SessionOwner alice{1000, 1000, {24, 27}};
  auto c = body_credentials(alice, offer_for(1000, 1000, {27, 24}), false);  // order is free
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->uid, 1000u);
  EXPECT_EQ(c->gid, 1000u);
  EXPECT_EQ(c->groups.size(), 2u);
}

TEST(BodyCredentials, UserCannotClaimAnotherIdentity) {
  wire::SessionOwner alice{1000, 1000, {24}};
  for (const Offer& o : {offer_for(0, 0, {}), offer_for(1001, 1000, {24}),
                         offer_for(1000, 0, {24}), offer_for(1000, 1000, {24, 0}),
                         offer_for(1000, 1000, {})}) {
    auto c = body_credentials(alice, o, /*allow_root=*/true);
    ASSERT_FALSE(c.ok()) << "uid " << o.uid << " gid " << o.gid;
    EXPECT_EQ(c.error().code, ErrorCode::kRefused);
  }
}

TEST(BodyCredentials, RootSessionCarriesAnyoneButRootOnlyIfAllowed) {
  wire::SessionOwner root{0, 0, {}};
  auto c = body_credentials(root, offer_for(1000, 100, {5}), false);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->uid, 1000u);
  EXPECT_EQ(c->gid, 100u);
  EXPECT_FALSE(body_credentials(root, offer_for(0, 0, {}), false).ok());
  EXPECT_TRUE(body_credentials(root, offer_for(0, 0, {}), true).ok());
}

TEST(OfferCodec, CarriesTheBalancingPolicyAndRejectsBadOnes) {
  Offer o = offer_for(1000, 1000, {24});
  o.files.push_back({"/usr/bin/true", 123, 456});
  o.policy = {true, true, 1, 98765};
  auto d = decode_offer(encode(o));
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(d->files.size(), 1u);
  EXPECT_TRUE(d->policy.balance);
  EXPECT_TRUE(d->policy.locked);
  EXPECT_EQ(d->policy.hint, 1);
  EXPECT_EQ(d->policy.cpu_ms, 98765u);
  std::vector<uint8_t> b = encode(o);
  b[b.size() - 9] = 7;  // hint out of range
  EXPECT_FALSE(decode_offer(b).ok());
  b = encode(o);
  b.pop_back();  // truncated
  EXPECT_FALSE(decode_offer(b).ok());
  BalancePolicy p;
  ASSERT_TRUE(decode_policy(encode_policy(true, false), p).ok());
  EXPECT_TRUE(p.balance);
  EXPECT_FALSE(p.locked);
  EXPECT_FALSE(decode_policy(std::vector<uint8_t>{1, 2}, p).ok());
  EXPECT_FALSE(decode_policy(std::vector<uint8_t>{1}, p).ok());
}

TEST(OfferCodec, SharedDirsAreOptionalAndChecked) {
  Offer o = offer_for(1000, 1000, {24});
  std::vector<uint8_t> plain = encode(o);
  o.shared_dirs = {"/srv/shared", "/var/tmp/x"};
  std::vector<uint8_t> with = encode(o);
  EXPECT_EQ(with.size(), plain.size() + 4 + 4 + 11 + 4 + 10);  // absent when empty
  auto d = decode_offer(with);
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(d->shared_dirs, o.shared_dirs);
  auto d0 = decode_offer(plain);
  ASSERT_TRUE(d0.ok());
  EXPECT_TRUE(d0->shared_dirs.empty());
  o.shared_dirs = {"relative"};
  EXPECT_FALSE(decode_offer(encode(o)).ok());
  std::vector<uint8_t> b = with;
  b.pop_back();
  EXPECT_FALSE(decode_offer(b).ok());
}

TEST(OfferCodec, MfsMountFollowsSharedDirs) {
  Offer o = offer_for(1000, 1000, {24});
  o.mfs_mount = "/mfs";  // with no shared dirs: a zero count, then the mount
  auto d = decode_offer(encode(o));
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_TRUE(d->shared_dirs.empty());
  EXPECT_EQ(d->mfs_mount, "/mfs");
  o.shared_dirs = {"/srv/shared"};
  d = decode_offer(encode(o));
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(d->shared_dirs, o.shared_dirs);
  EXPECT_EQ(d->mfs_mount, "/mfs");
  o.mfs_mount = "mfs";
  EXPECT_FALSE(decode_offer(encode(o)).ok());
  // A zero count with nothing after it is still malformed.
  Offer none = offer_for(1000, 1000, {24});
  std::vector<uint8_t> b = encode(none);
  for (int i = 0; i < 4; ++i) b.push_back(0);
  EXPECT_FALSE(decode_offer(b).ok());
}

TEST(FdInfoCodec, RoundTripsAndRejectsBadOnes) {
  FdInfo i;
  i.fd = 3;
  i.path = "/srv/shared/in";
  i.mode = 0100644;
  i.ino = 77;
  i.size = 1 << 20;
  i.flags = 02000001;
  i.pos = 4096;
  i.shared = true;
  auto d = decode_fd_info(encode(i));
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(d->path, i.path);
  EXPECT_EQ(d->pos, 4096u);
  EXPECT_EQ(d->flags, i.flags);
  EXPECT_TRUE(d->shared);
  EXPECT_FALSE(d->locked);
  std::vector<uint8_t> b = encode(i);
  b[b.size() - 2] = 2;  // shared must be 0 or 1
  EXPECT_FALSE(decode_fd_info(b).ok());
  EXPECT_EQ(*decode_fd_query(encode_fd_query(5)), 5);
  EXPECT_FALSE(decode_fd_query(encode_fd_query(-1)).ok());
  EXPECT_FALSE(decode_fd_query(std::vector<uint8_t>{1, 0}).ok());
}

}  // namespace
}  // namespace omx::migrate
