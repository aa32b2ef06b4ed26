// The dashboard's identity checks: tokens (mint/verify, tampering, wrong key, the secret file)
// and the loopback peer's uid through sock_diag on real TCP connections, one of them made by a
// process that switched to uid 65534 (needs root: exit 77 otherwise).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

#include "base/scoped_fd.h"
#include "dashboard/peer_uid.h"
#include "dashboard/token.h"

namespace omx::dashboard {
namespace {

TokenKey key_from(uint8_t fill) {
  uint8_t secret[32];
  for (auto& b : secret) b = fill;
  return derive_token_key(secret);
}

TEST(DashboardToken, MintedTokenVerifiesToItsUid) {
  TokenKey k = key_from(7);
  for (uid_t uid : {0u, 1000u, 65534u, 4294967294u}) {
    std::string t = mint_token(k, uid);
    EXPECT_EQ(t.substr(0, t.find('.')), std::to_string(uid));
    auto got = verify_token(k, t);
    ASSERT_TRUE(got.has_value()) << t;
    EXPECT_EQ(*got, uid);
  }
}

TEST(DashboardToken, TamperedTokensAreRefused) {
  TokenKey k = key_from(7);
  std::string t = mint_token(k, 1000);
  std::string other_uid = "0" + t.substr(t.find('.'));  // root's uid with user 1000's MAC
  EXPECT_FALSE(verify_token(k, other_uid));
  std::string flipped = t;
  flipped.back() = flipped.back() == '0' ? '1' : '0';
  EXPECT_FALSE(verify_token(k, flipped));
  EXPECT_FALSE(verify_token(k, "0" + t));             // "01000.MAC": not canonical
  EXPECT_FALSE(verify_token(k, t.substr(0, t.size() - 2)));  // short MAC
  EXPECT_FALSE(verify_token(k, t + "00"));
  EXPECT_FALSE(verify_token(k, ""));
  EXPECT_FALSE(verify_token(k, "1000"));
  EXPECT_FALSE(verify_token(k, ".abcdef"));
  EXPECT_FALSE(verify_token(k, "-1." + t.substr(t.find('.') + 1)));
  EXPECT_FALSE(verify_token(key_from(8), t));  // another secret
}

TEST(DashboardToken, SecretFileIsCreatedPrivateAndStable) {
  char tmpl[] = "/tmp/omx-dash-secret-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  std::string file = std::string(tmpl) + "/secret";
  EXPECT_FALSE(load_token_key(file, false).ok());  // missing, not asked to create
  auto a = load_token_key(file, true);
  ASSERT_TRUE(a.ok()) << a.error().message();
  struct stat st;
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto b = load_token_key(file, true);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->bytes, b->bytes);  // the same file gives the same key
  EXPECT_EQ(verify_token(*b, mint_token(*a, 42)), std::optional<uid_t>(42));
  ::unlink(file.c_str());
  ::rmdir(tmpl);
}

TEST(DashboardPeer, LoopbackAddresses) {
  EXPECT_TRUE(is_loopback_address("127.0.0.1"));
  EXPECT_TRUE(is_loopback_address("127.3.2.1"));
  EXPECT_TRUE(is_loopback_address("::1"));
  EXPECT_TRUE(is_loopback_address("::ffff:127.0.0.1"));
  EXPECT_FALSE(is_loopback_address("198.18.0.1"));
  EXPECT_FALSE(is_loopback_address("::ffff:10.0.0.1"));
  EXPECT_FALSE(is_loopback_address("::"));
  EXPECT_FALSE(is_loopback_address("localhost"));
}

struct Endpoint {
  std::string addr;
  uint16_t port = 0;
};

Endpoint name_of(int fd, bool peer) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (peer) ::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  else ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  char buf[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET) {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    ::inet_ntop(AF_INET, &a->sin_addr, buf, sizeof buf);
    return {buf, ntohs(a->sin_port)};
  }
  auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
  ::inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof buf);
  return {buf, ntohs(a->sin6_port)};
}

// A listener on `family`'s loopback; a child connects to it (as `as_uid` when given) and waits
// for the parent to finish the lookup; returns the uid sock_diag reports for the accepted peer.
Result<uid_t> peer_uid_of_child(int family, int as_uid) {
  ScopedFd lfd(::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  EXPECT_TRUE(lfd.valid());
  sockaddr_storage ss{};
  socklen_t len;
  if (family == AF_INET) {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    len = sizeof *a;
  } else {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_addr = in6addr_loopback;
    len = sizeof *a;
  }
  if (::bind(lfd.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0 || ::listen(lfd.get(), 4) != 0)
    return sys_error("bind loopback");
  len = sizeof ss;
  ::getsockname(lfd.get(), reinterpret_cast<sockaddr*>(&ss), &len);
  int go[2];
  EXPECT_EQ(::pipe(go), 0);
  pid_t child = ::fork();
  if (child == 0) {
    if (as_uid >= 0 && (::setgid(as_uid) != 0 || ::setuid(as_uid) != 0)) _exit(3);
    int c = ::socket(family, SOCK_STREAM, 0);
    if (::connect(c, reinterpret_cast<sockaddr*>(&ss), len) != 0) _exit(4);
    char b;
    ::close(go[1]);
    (void)::read(go[0], &b, 1);  // until the parent is done
    _exit(0);
  }
  ::close(go[0]);
  ScopedFd conn(::accept4(lfd.get(), nullptr, nullptr, SOCK_CLOEXEC));
  EXPECT_TRUE(conn.valid());
  Endpoint client = name_of(conn.get(), true), server = name_of(conn.get(), false);
  auto uid = loopback_peer_uid(client.addr, client.port, server.addr, server.port);
  ::close(go[1]);
  int status = 0;
  ::waitpid(child, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  return uid;
}

TEST(DashboardPeer, OwnConnectionIsOurUid) {
  auto uid = peer_uid_of_child(AF_INET, -1);
  ASSERT_TRUE(uid.ok()) << uid.error().message();
  EXPECT_EQ(*uid, ::geteuid());
}

TEST(DashboardPeer, ConnectionOfAnotherUser) {
  if (::geteuid() != 0) {
    std::fprintf(stderr, "skipped: needs root (connects as uid 65534)\n");
    std::fflush(nullptr);
    _exit(77);
  }
  auto v4 = peer_uid_of_child(AF_INET, 65534);
  ASSERT_TRUE(v4.ok()) << v4.error().message();
  EXPECT_EQ(*v4, 65534u);
  ScopedFd probe(::socket(AF_INET6, SOCK_STREAM, 0));
  if (probe.valid()) {  // IPv6 loopback, where the kernel has it
    auto v6 = peer_uid_of_child(AF_INET6, 65534);
    ASSERT_TRUE(v6.ok()) << v6.error().message();
    EXPECT_EQ(*v6, 65534u);
  }
}

TEST(DashboardPeer, GoneConnectionIsVanished) {
  auto r = loopback_peer_uid("127.0.0.1", 1, "127.0.0.1", 2);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kVanished);
  EXPECT_FALSE(loopback_peer_uid("127.0.0.1", 1, "::1", 2).ok());  // mixed families
}

}  // namespace
}  // namespace omx::dashboard
